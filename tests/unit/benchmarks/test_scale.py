"""The scale benchmark's parts (``make bench-scale`` itself runs for an hour: not in the suite)."""

import os
import sys
import zipfile

import pytest

from benchmarks.scale import (
    NOW,
    measure,
    prepare_mirror,
    reference_read_csv,
    run_environment,
    scale_symbols,
    start_date,
)
from demo.exchange.server import LocalExchange
from orchestration.preflight import check_before_run

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def scale_mirror(tmp_path_factory):
    """Two symbols over the last few days before the benchmark's "now"."""
    root = tmp_path_factory.mktemp("scale")
    symbols, start = scale_symbols(2), start_date(0.01)
    mirror, seconds = prepare_mirror(root, symbols, start)
    return root, mirror, symbols, start, seconds


def test_the_mirror_is_generated_once(scale_mirror):
    root, mirror, symbols, start, seconds = scale_mirror
    assert seconds is not None
    assert prepare_mirror(root, symbols, start) == (mirror, None)


def test_the_reference_reads_every_line_of_every_file(scale_mirror, tmp_path):
    _, mirror, symbols, _, _ = scale_mirror
    lines = 0
    for path in mirror.rglob("*.zip"):
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            lines += archive.read(member).count(b"\n")
    seconds, rows = reference_read_csv(mirror, symbols, tmp_path)
    assert rows == lines > 0
    assert seconds > 0
    assert list(tmp_path.iterdir()) == []  # the unzipped CSVs and the database are gone


def test_the_benchmark_settings_pass_the_checks_of_make_run(scale_mirror, tmp_path, monkeypatch):
    _, mirror, symbols, start, _ = scale_mirror
    with LocalExchange(mirror, now=NOW, symbols=symbols) as exchange:
        environment = run_environment(tmp_path, symbols, start, exchange.url, NOW)
        for name, value in environment.items():
            if name.startswith(("SOURCES__", "TRIBUTARY_", "DAGSTER_HOME", "WAREHOUSE")):
                monkeypatch.setenv(name, value)
        check_before_run()  # raises, with what to do, on any setting it does not accept


def test_measure_reads_the_last_line_and_names_the_log_of_a_failure(tmp_path):
    script = "print('progress'); print('{\"exchange\": 1.5, \"dbt_models\": 2.0}')"
    run = measure([sys.executable, "-c", script], dict(os.environ), tmp_path / "ok.log")
    assert run.steps == {"exchange": 1.5, "dbt_models": 2.0}
    assert run.group("dbt_models") == 2.0
    assert run.peak_rss_gib > 0
    assert "progress" in (tmp_path / "ok.log").read_text()
    with pytest.raises(RuntimeError, match=r"failed \(3\); see .*bad\.log"):
        measure(
            [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path / "bad.log"
        )
