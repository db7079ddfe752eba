"""Timing helpers shared by the benchmarks: wall time and peak memory of a phase run in its own
process, so that one phase's memory does not hide another's."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_mb: float
    result: dict


def run_phase(module: str, *args: str) -> Measurement:
    """Run ``python -m module phase args`` and read the JSON line it prints last.

    The phase reports its own timed section (``seconds``) and result; the peak RSS is the child
    process's own high-water mark.
    """
    completed = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{completed.stderr[-4000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return Measurement(report.pop("seconds"), report.pop("peak_rss_mb"), report)


def report(seconds: float, **result: object) -> None:
    """Print a phase's result as the JSON line :func:`run_phase` reads."""
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, **result}))


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def dbt_on_duckdb(database: Path | str, target_path: Path, *args: str) -> None:
    """Run the dbt CLI (``args``, e.g. ``build --select ...``) on the DuckDB file ``database``."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(PROJECT_ROOT / "dbt_project"),
            "--profiles-dir",
            str(PROJECT_ROOT),
            "--target",
            "duckdb",
            "--target-path",
            str(target_path),
            "--quiet",
        ],
        env={**os.environ, "TRIBUTARY_DUCKDB_PATH": str(database), "DO_NOT_TRACK": "1"},
        check=True,
    )
