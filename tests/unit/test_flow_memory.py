"""A flat compile too big for the free memory is refused up front, naming what it would need."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.errors import GatecompError
from gatecomp.flow.memory import LIMIT_ENV, flat_peak_bytes, free_bytes, parse_size
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn


@pytest.mark.parametrize("gates, measured", [(874_496, 0.98e9), (7_000_000, 3.2e9)])
def test_estimate_covers_the_measured_peaks(gates, measured):
    # peaks measured in issue 21 on torchlogix's ClgnCifar10Small and Medium (random weights)
    need = flat_peak_bytes(gates)
    assert measured <= need <= 1.4 * measured


def test_sizes_parse_with_binary_suffixes():
    assert parse_size("512") == 512
    assert parse_size("3K") == 3072
    assert parse_size("1.5G") == 1536 * 1024 * 1024
    assert parse_size("2MiB") == 2 * 1024 * 1024
    with pytest.raises(GatecompError, match=LIMIT_ENV):
        parse_size("lots")


def test_free_memory_is_read_from_the_machine(monkeypatch):
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    with open("/proc/meminfo") as fh:
        total = int(next(ln for ln in fh if ln.startswith("MemTotal:")).split()[1]) * 1024
    assert 0 < free_bytes() <= total


def test_too_big_flat_compile_is_refused_in_one_line(tmp_path, monkeypatch):
    ckpt = save_dlgn(tmp_path / "net.pt", random_dlgn([60, 40], in_dim=24, k=4, seed=2))
    out = tmp_path / "build"
    monkeypatch.setenv(LIMIT_ENV, "100M")
    res = CliRunner().invoke(main, ["compile", str(ckpt), "-o", str(out)])
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in res.output
    assert "100 trained gates needs about 0.7 GB" in errors[0]
    assert "0.1 GB is available" in errors[0]
    assert not out.exists()


def test_flat_compile_within_the_limit_runs(tmp_path, monkeypatch):
    ckpt = save_dlgn(tmp_path / "net.pt", random_dlgn([30], in_dim=12, k=2, seed=1))
    monkeypatch.setenv(LIMIT_ENV, "64G")
    res = CliRunner().invoke(main, ["compile", str(ckpt), "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output


def test_conv_net_refusal_suggests_streaming(monkeypatch):
    from gatecomp.flow.memory import check_flat_memory
    from gatecomp.flow.streaming import has_conv
    from gatecomp.frontends.torchlogix import load_torchlogix
    from tests.unit.torchlogix_nets import conv_model

    net = load_torchlogix(conv_model())
    monkeypatch.setenv(LIMIT_ENV, "1M")
    with pytest.raises(GatecompError, match="use --conv streaming"):
        check_flat_memory(net, conv_hint=has_conv(net))
