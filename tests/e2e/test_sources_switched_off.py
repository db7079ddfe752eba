"""The whole warehouse built with every source switched off (each list setting ``'[]'``): the
loads read nothing and every model still builds.

On DuckDB only: what is particular to Postgres here, every model and seed built from empty raw
tables in its SQL dialect, is what the dbt tier's ``dbt build --empty`` does on Postgres
(``tests/dbt/test_unit_tests.py``), and which sources run follows from settings alone."""

from dagster import DagsterInstance

from orchestration.run import materialize_warehouse
from orchestration.summary import table_row_counts

from support.environment import isolate_environment


def test_everything_switched_off_builds_an_empty_warehouse(monkeypatch, tmp_path):
    isolate_environment(monkeypatch, tmp_path / "data", "duckdb")
    for variable in (
        "SOURCES__EXCHANGE__SYMBOLS",
        "SOURCES__GIT__REPOSITORIES",
        "SOURCES__GITHUB__REPOSITORIES",
    ):
        monkeypatch.setenv(variable, "[]")
    assert materialize_warehouse(DagsterInstance.ephemeral()).success
    counts = table_row_counts()
    assert counts["raw_exchange.klines"] == counts["raw_git.commits"] == 0
    assert counts["marts.fct_candles"] == counts["marts.fct_commits"] == 0
