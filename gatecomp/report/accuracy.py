"""Circuit against model: accuracy on the test vectors, the mismatch count, what was proved."""

from __future__ import annotations

from .html import esc, facts, note, num, section
from .inputs import BuildData
from .svg import Bar, hbar_chart


def _proofs(chk: dict) -> list[tuple[str, str]]:
    own, abc = chk.get("equivalence"), chk.get("abc_cec")
    rows = [("random/data simulation patterns",
             num(chk.get("simulation_equivalence_patterns"),
                 "report.checks.simulation_equivalence_patterns", "int"))]
    if own is None:
        rows.append(("optimized == lowered (gatecomp SAT/BDD)",
                     '<span class="na">not proved (--no-prove or too large)</span>'))
    else:
        cls = "ok" if own.get("equivalent") else "bad"
        rows.append(("optimized == lowered (gatecomp SAT/BDD)",
                     f'<span class="{cls}">{esc(own.get("message", ""))}</span>'))
    if abc is not None:
        cls = "ok" if abc.get("equivalent") else "bad"
        rows.append(("ABC cec", f'<span class="{cls}">{esc(abc.get("message", ""))}</span>'))
    return rows


def accuracy_section(data: BuildData) -> str:
    """Model vs circuit accuracy (chart + table), mismatches, the forward checked, proofs."""
    r = data.report
    acc, chk, vec = r.get("accuracy", {}), r.get("checks", {}), r.get("vectors", {})
    ref = chk.get("reference") or {}
    rows = [
        ("test vectors", f'{num(vec.get("count"), "report.vectors.count", "int")} '
                         f'({esc(vec.get("kind", "?"))})'),
        ("model accuracy (reference)", num(acc.get("reference"), "report.accuracy.reference",
                                           "pct")),
        ("circuit accuracy (optimized IR)", num(acc.get("ir"), "report.accuracy.ir", "pct")),
        ("mismatching outputs, circuit vs model",
         num(chk.get("ir_vs_reference_mismatches"), "report.checks.ir_vs_reference_mismatches",
             "int")),
        ("model forward compared", esc(ref.get("name", "gatecomp's reading of the model"))),
        *_proofs(chk),
    ]
    body = [facts(rows)]
    if acc.get("reference") is not None and acc.get("ir") is not None:
        body.append(hbar_chart("accuracy", "Accuracy on the test vectors", [
            Bar("model (reference)", acc["reference"], "report.accuracy.reference", "pct", 0),
            Bar("circuit (optimized IR)", acc["ir"], "report.accuracy.ir", "pct", 2)]))
    else:
        body.append(note("Accuracy not measured: the vectors have no labels."))
    care = r.get("care_set")
    if care:
        body.append(note(f"Care set ({care.get('split')}): the circuit equals the model on "
                         f"every {care.get('split')} input and may differ elsewhere."))
        body.append(facts([
            ("test vectors changed by the care set",
             num(care.get("vectors_changed"), "report.care_set.vectors_changed", "int")),
            ("accuracy with the care set", num(care.get("accuracy"), "report.care_set.accuracy",
                                               "pct"))]))
    body.append(note("RTL simulation results are not part of report.json: run "
                     "`gatecomp verify BUILD_DIR` for the cocotb regression."))
    return section("accuracy", "Accuracy and checks", "\n".join(body))
