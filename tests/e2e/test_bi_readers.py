"""BI tools read the marts while a pipeline run writes the warehouse.

BI tools connect as they do in production: through SQLAlchemy and duckdb-engine to the DuckDB
copy that the ``bi/marts_copy`` asset publishes, and through psycopg as ``bi_reader`` to Postgres.
Each warehouse is built once per class by the market part of the Dagster job (the archive feed of
one symbol, the seeds, every market model and the publication). The writer the dashboards then
read against is another process that rebuilds every market mart with dbt (``--full-refresh``:
new tables swapped in) and, on DuckDB, publishes the copy again, as a run's last two steps do.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy
from dagster import AssetSelection, DagsterInstance, ExecuteInProcessResult
from sqlalchemy.pool import NullPool

from ingestion.warehouse import PostgresSettings, duckdb_path, warehouse_kind
from orchestration.assembly import assemble_definitions
from orchestration.bi_access import BI_ACCESS_KEY
from orchestration.bi_copy import bi_duckdb_path, bi_parquet_dir, publish_bi_copy
from orchestration.bi_reader_role import bi_reader_role
from orchestration.jobs import BUILD_WAREHOUSE_JOB

from support.environment import isolate_environment
from support.warehouse import run_dbt

TINY_DEMO = {
    "SOURCES__EXCHANGE__SYMBOLS": json.dumps(["SOLUSDT"]),
    "SOURCES__EXCHANGE__MARKETS": json.dumps(["spot"]),
    "SOURCES__EXCHANGE__INTERVALS": json.dumps(["1m"]),
    "SOURCES__EXCHANGE__START_DATE": "2025-03-01",
}
"""One symbol's one-minute spot candles of 2025-03-01 and 03-02 (two daily archive files), with
minutes without trades (gaps)."""
ARCHIVE_ONLY = {"ops": {"exchange": {"config": {"feeds": ["archive"]}}}}

DASHBOARD_QUERIES = {
    "latest_hourly_candles": (
        "select open_at, open_price, high_price, low_price, close_price, quote_volume "
        "from marts.fct_candles where symbol = 'SOLUSDT' and candle_interval = '1h' "
        "order by open_at desc limit 24"
    ),
    "market_overview": (
        "select trading_date, exchange, market, symbol, close_price, simple_return, "
        "realized_volatility from marts.fct_market_daily order by 1, 2, 3, 4"
    ),
    "indicators": (
        "select trading_date, close_price, sma_20, ema_12, rsi_14 "
        "from marts.fct_technical_indicators where symbol = 'SOLUSDT' order by trading_date"
    ),
    "risk": (
        "select symbol, trading_date, drawdown, max_drawdown from marts.fct_risk_metrics "
        "order by 1, 2"
    ),
    "gaps": (
        "select gap_reason, count(*) as gaps, sum(missing_minute_count) as minutes "
        "from marts.fct_candle_gaps group by gap_reason order by gap_reason"
    ),
    "symbols": (
        "select exchange, market, symbol, candle_count from marts.dim_symbols order by 1, 2, 3"
    ),
}
MARKET_MARTS = {
    "marts.dim_symbols",
    "marts.fct_candle_gaps",
    "marts.fct_candles",
    "marts.fct_funding_rates",
    "marts.fct_market_daily",
    "marts.fct_rejected_rows",
    "marts.fct_risk_metrics",
    "marts.fct_technical_indicators",
}
TESTS_DIR = Path(__file__).resolve().parent.parent
WRITER = [
    sys.executable,
    "-c",
    f"import sys; sys.path[:0] = [{str(TESTS_DIR)!r}, {str(Path(__file__).parent)!r}]; "
    "import test_bi_readers; sys.exit(test_bi_readers.write_once())",
]
"""The writer process: its environment (warehouse, data folder) is the test's."""
WRITER_TIMEOUT = 300


def build_markets(instance: DagsterInstance) -> ExecuteInProcessResult:
    """The exchange load (archive feed), the seeds, every model downstream of the load and the
    BI publication, through the warehouse job as production runs it."""
    defs = assemble_definitions()
    graph = defs.resolve_asset_graph()
    raw_exchange = [key for key in graph.get_all_asset_keys() if key.path[0] == "raw_exchange"]
    selection = AssetSelection.assets(*raw_exchange).downstream() | AssetSelection.groups(
        "reference"
    )
    keys = selection.resolve(graph)
    assert BI_ACCESS_KEY in keys
    return defs.resolve_job_def(BUILD_WAREHOUSE_JOB).execute_in_process(
        instance=instance,
        asset_selection=list(keys),
        run_config=ARCHIVE_ONLY,
        raise_on_error=False,
    )


def write_once() -> int:
    """The writer: ``dbt run --full-refresh`` of the market marts (each table rebuilt and swapped
    in, as a run's dbt step does), then on DuckDB a new copy published (the run's last step)."""
    run_dbt(warehouse_kind(), "run", "--full-refresh", "--select", "path:models/marts/markets")
    if warehouse_kind() == "duckdb":
        publish_bi_copy()
    return 0


def tiny_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path, warehouse: str) -> None:
    isolate_environment(monkeypatch, data_dir, warehouse)
    for key, value in TINY_DEMO.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("BI_READER_ROLE", raising=False)
    monkeypatch.delenv("BI_READER_PASSWORD", raising=False)


def read_while_writing(read, log: Path) -> tuple[int, subprocess.CompletedProcess]:
    """Run ``read()`` over and over while the writer process runs; return how often it ran."""
    with log.open("w") as output:
        writer = subprocess.Popen(WRITER, stdout=output, stderr=subprocess.STDOUT)
        reads = 0
        deadline = time.monotonic() + WRITER_TIMEOUT
        try:
            while writer.poll() is None and time.monotonic() < deadline:
                read()
                reads += 1
        finally:
            if writer.poll() is None:
                writer.kill()
            writer.wait()
    return reads, subprocess.CompletedProcess(WRITER, writer.returncode, log.read_text())


def publication_metadata(result: ExecuteInProcessResult) -> dict:
    """The metadata of the run's one materialization of the BI asset."""
    (event,) = [
        event
        for event in result.get_asset_materialization_events()
        if event.asset_key == BI_ACCESS_KEY
    ]
    materialization = event.step_materialization_data.materialization
    return {key: value.value for key, value in materialization.metadata.items()}


def query_all(connection) -> dict[str, list[tuple]]:
    return {
        name: [tuple(row) for row in connection.execute(sqlalchemy.text(sql)).fetchall()]
        if isinstance(connection, sqlalchemy.Connection)
        else [tuple(row) for row in connection.execute(sql).fetchall()]
        for name, sql in DASHBOARD_QUERIES.items()
    }


@pytest.fixture(scope="class")
def duckdb_warehouse(tmp_path_factory):
    """The market job's result on a DuckDB warehouse; the environment stays for the class."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        tiny_environment(monkeypatch, tmp_path_factory.mktemp("bi_duckdb") / "data", "duckdb")
        result = build_markets(DagsterInstance.ephemeral())
        assert result.success
        yield result


@pytest.fixture(scope="class")
def postgres_warehouse(tmp_path_factory):
    """The market job's result on a Postgres warehouse (pgserver), with a BI password."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        tiny_environment(monkeypatch, tmp_path_factory.mktemp("bi_pg") / "data", "postgres")
        monkeypatch.setenv("BI_READER_PASSWORD", "dashboards")
        result = build_markets(DagsterInstance.ephemeral())
        assert result.success
        yield result


class TestDuckDB:
    def test_the_build_publishes_every_mart(self, duckdb_warehouse):
        metadata = publication_metadata(duckdb_warehouse)
        assert metadata["path"] == str(bi_duckdb_path())
        assert set(metadata["tables"]) == MARKET_MARTS  # the job built the market marts only
        assert metadata["rows"] > 0 and metadata["bytes"] > 0
        engine = sqlalchemy.create_engine(
            f"duckdb:///{bi_duckdb_path()}",
            connect_args={"read_only": True},
            poolclass=NullPool,
        )
        with engine.connect() as connection:
            tables = connection.execute(
                sqlalchemy.text(
                    "select table_schema || '.' || table_name from information_schema.tables"
                )
            ).scalars()
            assert set(tables) == MARKET_MARTS  # no raw, staging or seeds in the copy
            copied = query_all(connection)
        assert all(copied.values()), copied
        assert {path.stem for path in bi_parquet_dir().glob("*.parquet")} == {
            table.split(".")[1] for table in MARKET_MARTS
        }
        # The copy holds what the warehouse holds.
        with sqlalchemy.create_engine(
            f"duckdb:///{duckdb_path()}", connect_args={"read_only": True}, poolclass=NullPool
        ).connect() as connection:
            assert query_all(connection) == copied

    def test_dashboards_read_the_copy_while_a_run_writes(self, duckdb_warehouse, tmp_path):
        engine = sqlalchemy.create_engine(
            f"duckdb:///{bi_duckdb_path()}",
            connect_args={"read_only": True},
            poolclass=NullPool,
        )
        with engine.connect() as connection:
            expected = query_all(connection)
        files_seen = set()

        def read() -> None:
            files_seen.add(bi_duckdb_path().stat().st_ino)
            # A new connection, as a dashboard refresh. Old copy or new, the values are the
            # same to the last bit: the writer rebuilds the same marts from the same data.
            with engine.connect() as connection:
                assert query_all(connection) == expected

        reads, writer = read_while_writing(read, tmp_path / "writer.log")
        assert writer.returncode == 0, writer.stdout[-4000:]
        assert reads > 0
        # The writer published a new copy: dashboards opened the old file, then the new one.
        files_seen.add(bi_duckdb_path().stat().st_ino)
        assert len(files_seen) == 2, files_seen

    def test_a_reader_never_sees_a_partial_copy(self, duckdb_warehouse, tmp_path):
        with sqlalchemy.create_engine(
            f"duckdb:///{bi_duckdb_path()}", connect_args={"read_only": True}, poolclass=NullPool
        ).connect() as connection:
            expected = dict(
                connection.execute(
                    sqlalchemy.text(
                        " union all ".join(
                            f"select '{table}', count(*) from {table}"
                            for table in sorted(MARKET_MARTS)
                        )
                    )
                ).fetchall()
            )
        stop = tmp_path / "stop"
        readers = [
            subprocess.Popen(
                [sys.executable, "-c", READER, str(bi_duckdb_path()), str(stop), kind],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for kind in ("duckdb", "parquet")
        ]
        time.sleep(1)  # the readers are reading
        for _ in range(4):
            publish_bi_copy()
        time.sleep(0.5)
        stop.touch()
        for reader in readers:
            out, err = reader.communicate(timeout=60)
            assert reader.returncode == 0, err
            report = json.loads(out)
            assert report["errors"] == [], report["errors"]
            assert report["reads"] > 4
            assert all(counts == expected for counts in report["counts"]), report["counts"][:3]
        # Nothing half-written is left behind.
        assert not any((bi_duckdb_path().parent / ".publishing").iterdir())
        assert sorted(path.name for path in bi_duckdb_path().parent.iterdir()) == [
            ".publishing",
            "parquet",
            bi_duckdb_path().name,
        ]


READER = """
import json, sys, duckdb
from pathlib import Path
path, stop, kind = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
reads, errors, counts = 0, [], []
while not stop.exists():
    try:
        if kind == "duckdb":
            with duckdb.connect(str(path), read_only=True) as con:
                tables = con.execute(
                    "select table_schema || '.' || table_name from information_schema.tables"
                ).fetchall()
                result = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                          for (t,) in tables}
        else:
            with duckdb.connect() as con:
                result = {"marts." + p.stem: con.execute(
                              "select count(*) from read_parquet(?)", [str(p)]).fetchone()[0]
                          for p in sorted((path.parent / "parquet").glob("*.parquet"))}
        if result not in counts:
            counts.append(result)
        reads += 1
    except Exception as error:
        errors.append(repr(error))
print(json.dumps({"reads": reads, "errors": errors[:5], "counts": counts}))
"""
"""A BI reader in its own process: opens the copy (or each Parquet file) over and over."""


@pytest.mark.postgres
class TestPostgres:
    @staticmethod
    def connect_as_bi_reader() -> psycopg.Connection:
        settings = PostgresSettings.from_env()
        return psycopg.connect(
            host=settings.host,
            port=settings.port,
            dbname=settings.database,
            user=bi_reader_role(),
            password=os.environ["BI_READER_PASSWORD"],
            autocommit=True,
        )

    def test_bi_reader_reads_the_marts_and_nothing_else(self, postgres_warehouse):
        metadata = publication_metadata(postgres_warehouse)
        assert metadata["role"] == "bi_reader"
        assert set(metadata["tables"]) == MARKET_MARTS
        with self.connect_as_bi_reader() as connection:
            assert all(query_all(connection).values())
            visible = connection.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema not in ('pg_catalog', 'information_schema')"
            ).fetchall()
            assert {table for (table,) in visible} == MARKET_MARTS
            for private in (
                "raw_exchange.klines",
                "staging.stg_exchange__klines",
                "intermediate.int_markets__candles_1m",
                "reference.quote_assets",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(f"select * from {private} limit 1")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("create table marts.dashboard_scratch (x integer)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute("delete from marts.fct_candles")

    def test_dashboards_read_the_marts_while_a_run_writes(self, postgres_warehouse, tmp_path):
        with self.connect_as_bi_reader() as connection:
            expected = query_all(connection)

            def read() -> None:
                assert query_all(connection) == expected

            reads, writer = read_while_writing(read, tmp_path / "writer.log")
        assert writer.returncode == 0, writer.stdout[-4000:]
        assert reads > 0
