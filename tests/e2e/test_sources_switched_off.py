"""The whole warehouse built with every source switched off (each list setting ``'[]'``), on
DuckDB and on Postgres: the loads read nothing and every model still builds."""

from dagster import DagsterInstance

from orchestration.run import materialize_warehouse
from orchestration.summary import table_row_counts

from support.environment import isolate_environment, on_each_warehouse


@on_each_warehouse
def test_everything_switched_off_builds_an_empty_warehouse(warehouse, monkeypatch, tmp_path):
    isolate_environment(monkeypatch, tmp_path / "data", warehouse)
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
