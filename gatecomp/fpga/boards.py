"""FPGA targets: declarative board files (``boards/*.toml``) and device-only targets.

A board file names the FPGA (family, nextpnr device flag, package, speed grade) and the pins the
UART shell needs: the clock (with its frequency), the UART ``rx``/``tx`` and some LEDs. Pins may
be written out (``rx = "6"``) or taken from an amaranth-boards platform (``platform =
"module:Class"`` plus ``resource = "uart"``), so a board that amaranth-boards knows is a
five-line file. ``[variants.X]`` tables override top-level keys and make ``NAME-X`` a target
(the first variant is what plain ``NAME`` means).

Device-only targets (``ice40-up5k-sg48``, ``ecp5-25k``, ``ecp5-85k-cabga381-8``) have no
pins: they give out-of-context resource and timing figures.

Board files are looked up in ``$GATECOMP_BOARDS`` (``os.pathsep``-separated), then in the
repository's ``boards/`` folder; ``--board path/to/file.toml`` loads one file directly.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import GatecompError

#: the repository's board folder (next to the gatecomp package)
BOARDS_DIR = Path(__file__).resolve().parents[2] / "boards"
FAMILIES = ("ice40", "ecp5")

#: nextpnr device flags and packages accepted for device-only targets
ICE40_DEVICES = {"lp384", "lp1k", "lp4k", "lp8k", "hx1k", "hx4k", "hx8k", "up3k", "up5k",
                 "u4k", "u1k", "u2k"}
ECP5_DEVICES = {"12k", "25k", "45k", "85k", "um-25k", "um-45k", "um-85k", "um5g-25k",
                "um5g-45k", "um5g-85k"}
ECP5_DEFAULT_PACKAGE = "CABGA381"
ECP5_DEFAULT_SPEED = 6


@dataclass(frozen=True)
class Pin:
    """One top-level port bit bound to a package pin (``site``)."""

    port: str
    site: str
    invert: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """What ``gatecomp compile --board/--device`` builds for.

    ``board`` is False for device-only targets (no pins; out-of-context figures only).
    """

    name: str
    family: str
    device: str
    package: str
    speed: int | None = None
    description: str = ""
    board: bool = False
    clock: Pin | None = None
    clock_hz: float | None = None
    uart_rx: Pin | None = None
    uart_tx: Pin | None = None
    baud: int = 115200
    leds: tuple[Pin, ...] = ()
    source: str | None = None

    def nextpnr_args(self) -> list[str]:
        """Device selection flags for nextpnr-ice40 / nextpnr-ecp5."""
        args = [f"--{self.device}", "--package", self.package]
        if self.family == "ecp5" and self.speed is not None:
            args += ["--speed", str(self.speed)]
        return args

    def as_dict(self) -> dict:
        """JSON-friendly record (written to ``board/target.json``)."""
        def pin(p: Pin | None):
            return None if p is None else {"port": p.port, "site": p.site, "invert": p.invert,
                                           "attrs": dict(p.attrs)}
        return {"name": self.name, "family": self.family, "device": self.device,
                "package": self.package, "speed": self.speed, "description": self.description,
                "board": self.board, "clock": pin(self.clock), "clock_hz": self.clock_hz,
                "uart_rx": pin(self.uart_rx), "uart_tx": pin(self.uart_tx), "baud": self.baud,
                "leds": [pin(p) for p in self.leds], "source": self.source}


def board_dirs() -> list[Path]:
    """Folders searched for ``NAME.toml`` board files, in order."""
    extra = [Path(p) for p in os.environ.get("GATECOMP_BOARDS", "").split(os.pathsep) if p]
    return [*extra, BOARDS_DIR]


def known_boards() -> list[str]:
    """Every board target name (variants included), sorted."""
    names: set[str] = set()
    for folder in board_dirs():
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                continue
            names.add(path.stem)
            names.update(f"{path.stem}-{v}" for v in data.get("variants", {}))
    return sorted(names)


def load_board(name_or_path: str | Path) -> Target:
    """A board target by name (``icebreaker``, ``ulx3s-45f``) or board-file path.

    Raises
    ------
    GatecompError
        Unknown board (the message lists the known ones) or a malformed board file.
    """
    text = str(name_or_path)
    if text.endswith(".toml") or os.sep in text:
        path = Path(text)
        if not path.is_file():
            raise GatecompError(f"board file {path} not found")
        return _from_file(path, None)
    for folder in board_dirs():
        path = folder / f"{text}.toml"
        if path.is_file():
            return _from_file(path, None)
    if "-" in text:
        base, variant = text.rsplit("-", 1)
        for folder in board_dirs():
            path = folder / f"{base}.toml"
            if path.is_file():
                return _from_file(path, variant)
    raise GatecompError(f"unknown board {text!r}; known boards: {', '.join(known_boards())} "
                        f"(or a device: ice40-up5k-sg48, ecp5-25k, ...)")


def parse_device(spec: str) -> Target:
    """A device-only target from ``ice40-<dev>-<package>`` or
    ``ecp5-<dev>[-<package>[-<speed>]]`` (e.g. ``ice40-up5k-sg48``, ``ecp5-25k``)."""
    s = spec.strip().lower()
    m = re.fullmatch(r"ice40-([a-z]+\d+k?)-([a-z]+\d+)", s)
    if m and m.group(1) in ICE40_DEVICES:
        return Target(name=s, family="ice40", device=m.group(1), package=m.group(2),
                      description=f"iCE40 {m.group(1).upper()} {m.group(2).upper()} "
                                  f"(out of context)")
    m = re.fullmatch(r"ecp5-((?:um5g-|um-)?\d+k)(?:-([a-z]+\d+))?(?:-(\d))?", s)
    if m and m.group(1) in ECP5_DEVICES:
        package = (m.group(2) or ECP5_DEFAULT_PACKAGE).upper()
        speed = int(m.group(3) or ECP5_DEFAULT_SPEED)
        return Target(name=s, family="ecp5", device=m.group(1), package=package, speed=speed,
                      description=f"ECP5 {m.group(1).upper()} {package} speed {speed} "
                                  f"(out of context)")
    raise GatecompError(f"unknown device {spec!r}; give ice40-<device>-<package> "
                        f"(e.g. ice40-up5k-sg48, ice40-hx8k-ct256) or "
                        f"ecp5-<device>[-<package>[-<speed>]] (e.g. ecp5-25k, ecp5-85k-cabga381-8)")


def resolve_target(board: str | None, device: str | None) -> Target | None:
    """The target named by ``--board`` or ``--device`` (not both), or None for neither."""
    if board and device:
        raise GatecompError("give either --board or --device, not both")
    if board:
        return load_board(board)
    if device:
        return parse_device(device)
    return None


def _from_file(path: Path, variant: str | None) -> Target:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GatecompError(f"cannot read board file {path}: {exc}") from None
    variants = data.pop("variants", {}) or {}
    name = path.stem
    if variant is not None:
        if variant not in variants:
            raise GatecompError(f"board {name} has no variant {variant!r}; known: "
                                f"{', '.join(f'{name}-{v}' for v in variants) or 'none'}")
        data = {**data, **variants[variant]}
        name = f"{name}-{variant}"
    try:
        return _target(name, data, path)
    except (KeyError, TypeError, ValueError) as exc:
        raise GatecompError(f"board file {path}: bad or missing entry {exc}") from None


def _target(name: str, data: dict, path: Path) -> Target:
    family = str(data["family"]).lower()
    if family not in FAMILIES:
        raise GatecompError(f"board file {path}: family {family!r} is not one of "
                            f"{', '.join(FAMILIES)}")
    platform = _platform(data.get("platform"), path)
    clk = data.get("clock", {})
    clock, hz = _clock(clk, platform, path)
    uart = data.get("uart", {})
    rx, tx = _uart(uart, platform, path)
    leds = _leds(data.get("leds", {}), platform)
    target = Target(name=name, family=family, device=str(data["device"]).lower(),
                    package=str(data["package"]), speed=data.get("speed"),
                    description=str(data.get("description", name)), board=True, clock=clock,
                    clock_hz=hz, uart_rx=rx, uart_tx=tx, baud=int(uart.get("baud", 115200)),
                    leds=leds, source=str(path))
    if family == "ice40" and target.device not in ICE40_DEVICES:
        raise GatecompError(f"board file {path}: unknown iCE40 device {target.device!r}")
    if family == "ecp5" and target.device not in ECP5_DEVICES:
        raise GatecompError(f"board file {path}: unknown ECP5 device {target.device!r}")
    return replace(target, speed=int(target.speed) if target.speed is not None else None)


def _platform(spec: str | None, path: Path):
    """An amaranth-boards platform instance for ``module:Class``, or None."""
    if not spec:
        return None
    module, _, cls = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)()
    except ImportError:
        raise GatecompError(f"board file {path} needs {module}; install it with `pip install "
                            "'gatecomp[fpga]'` (amaranth-boards), or write the pins out") from None
    except AttributeError:
        raise GatecompError(f"board file {path}: {module} has no platform {cls}") from None


def _resource(platform, name: str, number: int = 0):
    if platform is None:
        raise GatecompError(f"resource {name!r} given without a platform")
    try:
        return platform.resources[(name, number)]
    except KeyError:
        raise GatecompError(f"platform {type(platform).__name__} has no resource "
                            f"{name}#{number}") from None


def _pins_of(ios) -> list:
    """The single ``Pins`` of a resource or subsignal (one bit each here)."""
    pins = [io for io in ios if hasattr(io, "names")]
    if len(pins) != 1 or len(pins[0].names) != 1:
        raise GatecompError("board resources used by gatecomp must be single pins")
    return pins


def _attrs(*sources) -> dict:
    out: dict = {}
    for src in sources:
        out.update({k: v for k, v in dict(src or {}).items() if not callable(v)})
    return out


def _clock(cfg: dict, platform, path: Path) -> tuple[Pin, float]:
    if "resource" in cfg and "pin" not in cfg:
        res = _resource(platform, cfg["resource"])
        pins = _pins_of(res.ios)[0]
        hz = float(cfg.get("frequency_hz") or res.clock.frequency)
        return Pin("clk", pins.names[0], pins.invert, _attrs(res.attrs, cfg.get("attrs"))), hz
    if "pin" not in cfg or "frequency_hz" not in cfg:
        raise GatecompError(f"board file {path}: [clock] needs resource, or pin and "
                            f"frequency_hz")
    return Pin("clk", str(cfg["pin"]), False, _attrs(cfg.get("attrs"))), float(cfg["frequency_hz"])


def _uart(cfg: dict, platform, path: Path) -> tuple[Pin, Pin]:
    if "resource" in cfg and not ("rx" in cfg and "tx" in cfg):
        res = _resource(platform, cfg["resource"])
        pins = {}
        for sub in res.ios:
            if getattr(sub, "name", None) in ("rx", "tx"):
                p = _pins_of(sub.ios)[0]
                pins[sub.name] = Pin(f"uart_{sub.name}", p.names[0], p.invert,
                                     _attrs(res.attrs, sub.attrs, cfg.get("attrs")))
        if set(pins) != {"rx", "tx"}:
            raise GatecompError(f"board file {path}: resource {cfg['resource']} lacks rx/tx")
        return pins["rx"], pins["tx"]
    if "rx" not in cfg or "tx" not in cfg:
        raise GatecompError(f"board file {path}: [uart] needs resource, or rx and tx pins")
    attrs = _attrs(cfg.get("attrs"))
    return Pin("uart_rx", str(cfg["rx"]), False, attrs), Pin("uart_tx", str(cfg["tx"]), False,
                                                             attrs)


def _leds(cfg: dict, platform) -> tuple[Pin, ...]:
    if "pins" in cfg:
        return tuple(Pin(f"led[{i}]", str(site), bool(cfg.get("invert", False)),
                         _attrs(cfg.get("attrs")))
                     for i, site in enumerate(cfg["pins"]))
    if "resource" not in cfg or platform is None:
        return ()
    name = cfg["resource"]
    found: list[Pin] = []
    for (rname, _), res in platform.resources.items():
        if rname != name:
            continue
        ios = list(res.ios)
        subs = [io for io in ios if hasattr(io, "ios")] or [res]
        for sub in subs:
            p = _pins_of(sub.ios)[0]
            found.append(Pin(f"led[{len(found)}]", p.names[0], p.invert,
                             _attrs(res.attrs, getattr(sub, "attrs", None), cfg.get("attrs"))))
    return tuple(found[: int(cfg.get("max", 8))])
