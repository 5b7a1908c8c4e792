"""The network's layers and gate types, as the frontend recorded them in ``report.json``
(``network``): DLGN layer sizes and its 16-function histogram, torchlogix layers and types."""

from __future__ import annotations

from .html import esc, note, num, section, table
from .inputs import BuildData
from .svg import Bar, hbar_chart

_NO_ANDS = ("ANDs are not attributed to layers after optimization: the passes work across "
            "layer boundaries. The level view below shows where the logic sits in depth.")


def _dlgn_layers(net: dict) -> tuple[list[list[str]], list[Bar]]:
    sizes = net["layer_sizes"]
    rows, bars = [], []
    for i in range(1, len(sizes)):
        key = f"report.network.layer_sizes.{i}"
        rows.append([str(i), num(sizes[i - 1], f"report.network.layer_sizes.{i - 1}", "int"),
                     num(sizes[i], key, "int"), esc("logic (2-input gates)")])
        bars.append(Bar(f"layer {i}", sizes[i], key, "int", 0))
    return rows, bars


def _torchlogix_layers(net: dict) -> tuple[list[list[str]], list[Bar]]:
    rows, bars = [], []
    for i, lay in enumerate(net["layers"]):
        key = f"report.network.layers.{i}.gates"
        shape = "x".join(str(s) for s in lay.get("out_shape", []))
        rows.append([esc(lay["name"]), esc(lay["type"]), esc(shape), num(lay["gates"], key,
                                                                         "int")])
        bars.append(Bar(lay["name"], lay["gates"], key, "int", 0))
    return rows, bars


def _has_layer_rows(net: dict) -> bool:
    """Whether ``network.layers`` holds rows of (name, type, gates), as the LUT-network
    frontends record them (BNN/QNN layer records have other fields)."""
    layers = net.get("layers")
    return bool(layers) and all(isinstance(r, dict) and {"name", "type", "gates"} <= set(r)
                                for r in layers)


def layers_section(data: BuildData) -> str:
    """One row per network layer (gates it holds), a chart of the same, and why the ANDs
    are not split by layer."""
    net = data.report.get("network") or {}
    if net.get("layer_sizes"):
        rows, bars = _dlgn_layers(net)
        head = ["layer", "inputs", "gates", "kind"]
    elif _has_layer_rows(net):
        rows, bars = _torchlogix_layers(net)
        head = ["layer", "type", "output shape", "gates"]
    else:
        return section("layers", "Layers", note("Not measured: the frontend "
                                                f"({net.get('frontend', '?')}) records no "
                                                "per-layer sizes."))
    body = [table(head, rows), hbar_chart("layer_gates", "Trained gates per layer", bars),
            note(_NO_ANDS)]
    return section("layers", "Layers", "\n".join(body))


def gate_types_section(data: BuildData) -> str:
    """The gate-type histogram: the 16 two-input functions (DLGN), else gates per layer type
    (torchlogix LUT layers), else "not measured"."""
    net = data.report.get("network") or {}
    hist = net.get("gate_histogram")
    if hist:
        bars = [Bar(name, n, f"report.network.gate_histogram.{name}", "int", 5)
                for name, n in hist.items()]
        title = "Trained gates per 2-input function"
        return section("gate_types", "Gate types", hbar_chart("gate_types", title, bars))
    if _has_layer_rows(net):
        by_type: dict[str, int] = {}
        for lay in net["layers"]:
            by_type[lay["type"]] = by_type.get(lay["type"], 0) + int(lay["gates"])
        bars = [Bar(t, n, None, "int", 5) for t, n in by_type.items()]
        return section("gate_types", "Gate types",
                       hbar_chart("gate_types", "Gates (LUT neurons) per layer type", bars)
                       + note("The frontend records no per-function histogram for these LUTs."))
    return section("gate_types", "Gate types", note("Not measured: the frontend records no "
                                                    "gate-type histogram."))
