"""The incremental candle models built run by run equal their full rebuild, row for row, on DuckDB
and Postgres: after a day is added, after a late correction (a file from months ago re-issued)
and after a new symbol is added. A run writes only the days it touched.

Spot one-minute archive files of BTCUSDT: November and December 2024 monthly, then January's
daily files as they appear; no REST tail.
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from demo.exchange.mirror import write_mirror
from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor

from support.archive_zips import csv_lines, write_zip_with_checksum
from support.environment import on_each_warehouse
from support.warehouse import dbt_cli_target, run_dbt

START = date(2024, 11, 1)
NOVEMBER = "data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip"
MODELS = {
    "int_markets__candles_1m": "intermediate",
    "fct_candles": "marts",
}
ONE_MINUTE = "intermediate.int_markets__candles_1m"
MINUTES_PER_DAY = 1_440


def archive_until(folder: Path, symbols: list[str], day: int) -> None:
    """Write the archive as it stands at noon on January ``day``: daily files up to the day
    before."""
    write_mirror(folder, symbols, START, datetime(2025, 1, day, 12, tzinfo=UTC))


def load(folder: Path, symbols: list[str], day: int) -> None:
    """Load ``symbols`` from the archive as it stands at noon on January ``day``."""
    rejected = RejectedFiles()
    source = exchange_source(
        archive_base_url=str(folder),
        rejected=rejected,
        markets=["spot"],
        symbols=symbols,
        intervals=["1m"],
        start_date=START.isoformat(),
        end_date=f"2025-01-{day - 1:02d}",
        spot_api_url="",
        usdm_api_url="",
        ccxt_exchanges={},
    )
    dlt_pipeline("exchange").run(source)
    assert rejected.errors == []


def scalar(sql: str) -> object:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def relation(model: str) -> str:
    return f"{MODELS[model]}.{model}"


def keep_copy(model: str, name: str = "incremental", where: str = "true") -> str:
    """Copy the model's rows (those matching ``where``) into a table of their own, to compare
    with a later build."""
    copy = f"{MODELS[model]}.{name}_{model}"
    with dlt_pipeline("exchange").sql_client() as client:  # read-write, unlike warehouse_cursor
        client.execute_sql(f"drop table if exists {copy}")
        client.execute_sql(f"create table {copy} as select * from {relation(model)} where {where}")
    return copy


def rows_differing(one: str, other: str, where: str = "true") -> int:
    """Rows (those matching ``where``) of either relation that the other lacks, counted with
    their multiplicity: every value compared exactly, in the warehouse."""
    first, second = (f"select * from {name} where {where}" for name in (one, other))
    return scalar(
        f"select count(*) from (({first} except all {second}) "
        f"union all ({second} except all {first})) as differing"
    )


def rows_written(warehouse: str, model: str) -> int | None:
    """What the last dbt invocation reported writing into ``model``: dbt's ``rows_affected``,
    which dbt-postgres reports and dbt-duckdb does not (None)."""
    results = json.loads((dbt_cli_target(warehouse) / "run_results.json").read_text())
    (result,) = [r for r in results["results"] if r["unique_id"].endswith(f".{model}")]
    return result["adapter_response"].get("rows_affected")


def reported_only_by_postgres(warehouse: str) -> tuple[None, ...]:
    """Where the written row count is not reported, None stands for it."""
    return () if warehouse == "postgres" else (None,)


def build_incrementally(warehouse: str) -> int | None:
    """Run the models incrementally, check that a full rebuild gives the same rows, and return
    how many rows the incremental run wrote into the one-minute candles (see
    :func:`rows_written`)."""
    run_dbt(warehouse, "run", "--select", " ".join(MODELS))
    written = rows_written(warehouse, "int_markets__candles_1m")
    copies = {model: keep_copy(model) for model in MODELS}
    run_dbt(warehouse, "run", "--full-refresh", "--select", " ".join(MODELS))
    for model, copy in copies.items():
        assert rows_differing(copy, relation(model)) == 0, f"{model}: incremental != full refresh"
    return written


def reissue_without_last_minute(path: Path) -> None:
    """The archive re-issues a file: its last candle gone, every volume doubled."""
    lines = csv_lines(path)[:-1]
    changed = []
    for line in lines:
        fields = line.split(b",")
        fields[5] = f"{Decimal(fields[5].decode()) * 2:.8f}".encode()
        changed.append(b",".join(fields))
    write_zip_with_checksum(path, changed)


@pytest.mark.long
@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_incremental_candles_equal_a_full_rebuild(warehouse, tmp_path):
    folder = tmp_path / "archive"
    archive_until(folder, ["BTCUSDT"], 3)  # November, December, January 1 and 2
    load(folder, ["BTCUSDT"], 3)
    run_dbt(warehouse, "build", "--select", "+fct_candles",
            "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")  # fmt: skip
    first = scalar(f"select count(*) from {ONE_MINUTE}")

    # A day is added: only that day is written.
    archive_until(folder, ["BTCUSDT"], 4)
    load(folder, ["BTCUSDT"], 4)
    written = build_incrementally(warehouse)
    assert scalar(f"select count(*) from {ONE_MINUTE}") == first + MINUTES_PER_DAY
    assert written in (MINUTES_PER_DAY, *reported_only_by_postgres(warehouse))

    # A late correction: November re-issued without its last minute and with doubled volumes.
    # The whole of November is built again (the file's days), and its last minute goes.
    november = f"select {{}} from {ONE_MINUTE} where open_at < '2024-12-01'"
    volume = scalar(november.format("sum(base_volume)"))
    last_volume = scalar(november.format("base_volume") + " and open_at = '2024-11-30 23:59'")
    reissue_without_last_minute(folder / NOVEMBER)
    load(folder, ["BTCUSDT"], 4)
    written = build_incrementally(warehouse)
    assert scalar(f"select count(*) from {ONE_MINUTE}") == first + MINUTES_PER_DAY - 1
    assert scalar(november.format("max(open_at)")) == datetime(2024, 11, 30, 23, 58)
    assert scalar(november.format("sum(base_volume)")) == 2 * (volume - last_volume)
    assert written in (30 * MINUTES_PER_DAY - 1, *reported_only_by_postgres(warehouse))

    # A new symbol: its whole history is built; the other symbol's minutes stay as they were.
    bitcoin = "symbol = 'BTCUSDT'"
    before = keep_copy("int_markets__candles_1m", "before_ether", bitcoin)
    archive_until(folder, ["ETHUSDT"], 4)
    load(folder, ["BTCUSDT", "ETHUSDT"], 4)
    written = build_incrementally(warehouse)
    assert rows_differing(ONE_MINUTE, before, bitcoin) == 0
    ether = scalar(f"select count(*) from {ONE_MINUTE} where symbol = 'ETHUSDT'")
    assert ether > 60 * MINUTES_PER_DAY
    assert written in (ether, *reported_only_by_postgres(warehouse))
