"""Scale benchmark: whole runs of the warehouse over years of one-minute candles of many symbols.

``python -m benchmarks.scale --symbols 100 --years 2`` (``make bench-scale``; 100 symbols and
2 years by default: about 100M candles). It generates the archive with the project's own mirror
(:mod:`demo.exchange.mirror`, kept between runs under ``<data>/bench/scale``), serves it with the
local exchange, and points ``make run`` at it by configuration, as a user points it at
``https://data.binance.vision``: spot ``1m`` candles only, no funding rates, ccxt, git or GitHub.
Then, on a new warehouse:

1. **first run**: ``python -m orchestration.run`` (``make run``): the whole archive, the REST
   tail up to "now", ``dbt build``, the BI copy;
2. **nothing new**: the same again;
3. **one new hour**: the exchange's clock moves on by an hour and the ``exchange_tail`` job (what
   the hourly schedule runs) brings that hour for every symbol.

Each run is a process of its own. The benchmark reports its wall time, the peak memory of its
whole process tree (dbt runs as a child), the time of each Dagster step (load, dbt, BI copy), and
ratios against references measured in the same run: DuckDB's own ``read_csv`` of the same CSVs
(unzipped, one symbol at a time) for the load, and the first run for the later ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import psutil

from benchmarks.exchange_load import KLINE_COLUMNS
from demo import DEMO_NOW
from ingestion.warehouse import data_dir

NOW = datetime.fromisoformat(DEMO_NOW)
"""The exchange's clock during the first two runs; the third runs an hour later."""
ONE_HOUR = timedelta(hours=1)
RSS_POLL_SECONDS = 0.2


def scale_symbols(count: int) -> list[str]:
    """``count`` symbols; each gets a quiet small-cap profile from the generator (5% of its
    minutes without trades, so without a candle)."""
    return [f"SCALE{number:03d}USDT" for number in range(count)]


def start_date(years: float) -> date:
    return (NOW - timedelta(days=round(365.25 * years))).date()


@dataclass
class Measurement:
    """One process: wall time, peak RSS of its tree, and what it reported."""

    seconds: float
    peak_rss_gib: float
    steps: dict[str, float] = field(default_factory=dict)

    def group(self, *prefixes: str) -> float:
        """Seconds of the steps whose name starts with one of ``prefixes``."""
        return sum(s for step, s in self.steps.items() if step.startswith(prefixes))


def measure(command: Sequence[str], env: dict[str, str], log: Path) -> Measurement:
    """Run ``command``; sample its process tree's RSS; read the JSON of the last stdout line."""
    peak = 0
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=output)
        lines: list[bytes] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or []))
        reader.start()
        root = psutil.Process(process.pid)
        while process.poll() is None:
            peak = max(peak, _tree_rss(root))
            time.sleep(RSS_POLL_SECONDS)
        reader.join()
    seconds = time.perf_counter() - started
    output_text = b"".join(lines).decode()
    with log.open("a") as output:
        output.write(output_text)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}); see {log}")
    steps = json.loads(output_text.strip().splitlines()[-1])
    return Measurement(seconds, peak / 2**30, steps)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def prepare_mirror(root: Path, symbols: list[str], start: date) -> tuple[Path, float | None]:
    """The archive of ``symbols`` from ``start`` to :data:`NOW` (spot, ``1m``), generated once
    and kept; the seconds it took to generate, None when it was there already."""
    from demo.exchange.mirror import write_mirror

    mirror = root / f"mirror-{len(symbols)}-{start.isoformat()}"
    done = mirror / ".complete"
    if done.exists():
        return mirror, None
    started = time.perf_counter()
    write_mirror(mirror, symbols, start, NOW, markets=("spot",), intervals=("1m",))
    seconds = time.perf_counter() - started
    done.touch()
    return mirror, seconds


def reference_read_csv(mirror: Path, symbols: list[str], work: Path) -> tuple[float, int]:
    """DuckDB's ``read_csv`` of every CSV of the mirror into one table, one symbol's files at a
    time (unzipping is not timed; each symbol's CSVs are deleted after they are read)."""
    import duckdb

    seconds, rows = 0.0, 0
    database = work / "reference.duckdb"
    database.unlink(missing_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute("set memory_limit = '2GB'")
    for number, symbol in enumerate(symbols):
        folder = Path(tempfile.mkdtemp(dir=work))
        for path in sorted(mirror.rglob(f"{symbol}-1m-*.zip")):
            with zipfile.ZipFile(path) as archive:
                archive.extractall(folder)
        files = sorted(str(path) for path in folder.glob("*.csv"))
        started = time.perf_counter()
        statement = "create table klines as" if number == 0 else "insert into klines"
        connection.execute(
            f"{statement} select * from read_csv(?, header = false, columns = ?)",
            [files, KLINE_COLUMNS],
        )
        seconds += time.perf_counter() - started
        shutil.rmtree(folder)
    rows = connection.execute("select count(*) from klines").fetchone()[0]
    connection.close()
    database.unlink()
    return seconds, rows


def run_environment(
    warehouse: Path, symbols: list[str], start: date, exchange_url: str, now: datetime
) -> dict[str, str]:
    """The settings of a user whose archive and REST API are at ``exchange_url``."""
    return {
        **os.environ,
        "TRIBUTARY_DATA_DIR": str(warehouse),
        "DAGSTER_HOME": str(warehouse / "dagster"),
        "TRIBUTARY_DUCKDB_PATH": str(warehouse / "tributary.duckdb"),
        "SOURCES__EXCHANGE__ARCHIVE_BASE_URL": exchange_url,
        "SOURCES__EXCHANGE__SPOT_API_URL": exchange_url,
        "SOURCES__EXCHANGE__USDM_API_URL": "",
        "SOURCES__EXCHANGE__MARKETS": '["spot"]',
        "SOURCES__EXCHANGE__SYMBOLS": json.dumps(symbols),
        "SOURCES__EXCHANGE__INTERVALS": '["1m"]',
        "SOURCES__EXCHANGE__START_DATE": start.isoformat(),
        "SOURCES__EXCHANGE__END_DATE": now.isoformat(),
        "SOURCES__EXCHANGE__FUNDING_RATES": "false",
        "SOURCES__EXCHANGE__CCXT_EXCHANGES": "{}",
        "SOURCES__GIT__REPOSITORIES": "[]",
        "SOURCES__GITHUB__REPOSITORIES": "[]",
        "WAREHOUSE": "duckdb",
    }


# --- the phases, each in a process of its own ----------------------------------------------------


def phase(job: str) -> None:
    """Run ``job`` as its schedule would (``build_warehouse`` as ``make run`` does), then print
    the seconds of each of its steps as the last line."""
    from dagster import DagsterInstance

    if job == "build_warehouse":
        from orchestration.run import main

        if main() != 0:
            raise SystemExit("make run failed")
    else:
        from orchestration.assembly import assemble_definitions
        from orchestration.environment import apply_local_defaults, prepare_dagster_home

        apply_local_defaults()
        prepare_dagster_home()
        with DagsterInstance.get() as instance:
            result = (
                assemble_definitions()
                .resolve_job_def(job)
                .execute_in_process(instance=instance, raise_on_error=False)
            )
        if not result.success:
            raise SystemExit(f"the {job} job failed")
    with DagsterInstance.get() as instance:
        (run,) = instance.get_runs(limit=1)
        steps = {
            stats.step_key: (stats.end_time or 0) - (stats.start_time or 0)
            for stats in instance.get_run_step_stats(run.run_id)
        }
    print(json.dumps(steps))


# --- the benchmark -------------------------------------------------------------------------------


def _describe(name: str, run: Measurement, reference: Measurement | None = None) -> None:
    load = run.group("exchange")
    dbt = run.group("dbt_models")
    bi = run.group("bi__")
    ratio = f" = {run.seconds / reference.seconds:.2f} x first run" if reference else ""
    print(
        f"{name:<14} {run.seconds:7.1f} s{ratio}; peak memory {run.peak_rss_gib:.2f} GiB; "
        f"load {load:.1f} s, dbt {dbt:.1f} s, BI copy {bi:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=100, help="how many symbols (100)")
    parser.add_argument("--years", type=float, default=2.0, help="years of history (2)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        phase(args.phase)
        return

    from demo.exchange.server import LocalExchange

    root = data_dir().absolute() / "bench" / "scale"
    root.mkdir(parents=True, exist_ok=True)
    symbols, start = scale_symbols(args.symbols), start_date(args.years)
    print(f"scale benchmark: {args.symbols} symbols x {args.years:g} years from {start}")
    mirror, generated = prepare_mirror(root, symbols, start)

    warehouse = root / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir()
    command = [sys.executable, "-m", "benchmarks.scale", "--phase"]
    runs: dict[str, Measurement] = {}
    for name, now, job in (
        ("first run", NOW, "build_warehouse"),
        ("nothing new", NOW, "build_warehouse"),
        ("one new hour", NOW + ONE_HOUR, "exchange_tail"),
    ):
        with LocalExchange(mirror, now=now, symbols=symbols) as exchange:
            env = run_environment(warehouse, symbols, start, exchange.url, now)
            log = root / f"{name.replace(' ', '-')}.log"
            runs[name] = measure([*command, job], env, log)
        _describe(name, runs[name], None if name == "first run" else runs["first run"])

    import duckdb

    with duckdb.connect(str(warehouse / "tributary.duckdb"), read_only=True) as connection:
        (candles,) = connection.execute("select count(*) from raw_exchange.klines").fetchone()
    if generated is not None:
        print(f"generator      {candles / generated / 1e6:.2f}M candles/s ({generated:.0f} s)")
    read_csv_seconds, read_csv_rows = reference_read_csv(mirror, symbols, root)
    first = runs["first run"]
    print(
        f"raw candles    {candles:,}; DuckDB read_csv of the same CSVs: {read_csv_rows:,} rows "
        f"in {read_csv_seconds:.1f} s; the load took {first.group('exchange'):.1f} s = "
        f"{first.group('exchange') / read_csv_seconds:.2f} x read_csv"
    )


if __name__ == "__main__":
    main()
