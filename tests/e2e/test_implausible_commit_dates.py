"""Commits dated by a broken clock (1970, 2099) neither stretch nor skew the DORA marts.

Real histories hold such dates: an import that wrote epoch 0, a committer whose clock ran decades
ahead. A small repository is built with one commit dated 1970-01-01 and one dated 2099-01-01 among
commits of January 2025, loaded by the git source and built on DuckDB and on Postgres. Before the
plausibility rule, the weekly DORA mart of this repository had a row for every week from 1969-12-29
to 2098-12-29 (6,732 rows).

======  =====================  ==============================================================
commit  authored = committed   what
======  =====================  ==============================================================
c1      Mon 2025-01-06 09:00   tag v1.0.0 at 12:00 -> D1 (lead time 3 h)
epoch   1970-01-01 00:00       an epoch-0 import: implausible (before 2005-04-07)
c2      Tue 2025-01-07 10:00   lead time 26 h
future  2099-01-01 00:00       a clock 74 years ahead: implausible (after the clone was read)
c3      Wed 2025-01-08 09:00   tag v1.1.0 at 12:00 -> D2 ships epoch, c2, future, c3 (3 h)
c4      Mon 2025-01-13 09:00   tag v1.2.0 at 12:00 -> D3 (lead time 3 h)
======  =====================  ==============================================================

Plausible activity spans the weeks of 2025-01-06 and 2025-01-13 and the month of January 2025.
The week of 01-06 ships five changes, three with a lead time (3, 26, 3 h: median 3 h); the two
implausibly dated ones have none and are reported once, as `implausible_dates` (not as
`clock_skew`, although `future` was authored after D2).
"""

from datetime import date

import pytest

from ingestion.git import git_source
from ingestion.warehouse import dlt_pipeline
from orchestration.summary import data_quality_findings

from support.environment import on_each_warehouse
from support.git_repository import Repository
from support.warehouse import build_with_walk, rounded_rows

ENGINEERING_MARTS = (
    "+fct_dora_weekly",
    "+fct_dora_monthly",
    "+fct_commits",
    "+dim_contributors",
    "+dim_repositories",
    "+fct_repository_daily_commits",
    "+fct_engineering_data_quality",
)


def build_wrong_clocks(repo: Repository) -> dict[str, str]:
    shas = {"c1": repo.commit("c1", "2025-01-06T09:00:00Z")}
    repo.tag("v1.0.0", "2025-01-06T12:00:00Z")
    shas["epoch"] = repo.commit("epoch", "1970-01-01T00:00:00Z")
    shas["c2"] = repo.commit("c2", "2025-01-07T10:00:00Z")
    shas["future"] = repo.commit("future", "2099-01-01T00:00:00Z")
    shas["c3"] = repo.commit("c3", "2025-01-08T09:00:00Z")
    repo.tag("v1.1.0", "2025-01-08T12:00:00Z")
    shas["c4"] = repo.commit("c4", "2025-01-13T09:00:00Z")
    repo.tag("v1.2.0", "2025-01-13T12:00:00Z")
    return shas


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_wrong_clocks_neither_stretch_nor_skew_the_dora_marts(warehouse, monkeypatch, tmp_path):
    shas = build_wrong_clocks(Repository(tmp_path / "clocks"))
    dlt_pipeline("git").run(git_source(repositories=[f"clocks={tmp_path / 'clocks'}"]))
    build_with_walk(warehouse, *ENGINEERING_MARTS)

    # The periods are spanned by plausible activity only: two weeks, one month.
    weekly = rounded_rows(
        "select cast(week_start as text), deployment_count, change_count, median_lead_time_hours "
        "from marts.fct_dora_weekly where repository = 'clocks' order by week_start"
    )
    first, last = date(2025, 1, 6), date(2025, 1, 13)
    assert len(weekly) == (last - first).days // 7 + 1
    assert weekly == [("2025-01-06", 2, 5, 3.0), ("2025-01-13", 1, 1, 3.0)]
    assert rounded_rows(
        "select cast(month_start as text), change_count, median_lead_time_hours "
        "from marts.fct_dora_monthly where repository = 'clocks'"
    ) == [("2025-01-01", 6, 3.0)]

    # Every commit is kept and the two wrong clocks flagged; they have no lead time.
    assert rounded_rows(
        "select commit_sha from marts.fct_commits "
        "where repository = 'clocks' and has_implausible_date order by committed_at"
    ) == [(shas["epoch"],), (shas["future"],)]
    assert rounded_rows("select count(*) from marts.fct_commits where repository = 'clocks'") == [
        (6,)
    ]
    assert rounded_rows(
        "select commit_sha, lead_time_hours, is_authored_after_deployment "
        "from intermediate.int_engineering__deployment_commits "
        "where has_implausible_date order by commit_sha"
    ) == sorted([(shas["epoch"], None, False), (shas["future"], None, False)])
    assert rounded_rows(
        "select cast(min(committed_date) as text), cast(max(committed_date) as text) "
        "from marts.fct_repository_daily_commits where repository = 'clocks'"
    ) == [("2025-01-06", "2025-01-13")]

    # Reported once, as suspect (`make run` prints these), with the dates that gave them away.
    checks = {
        check: (status, row_count, reason)
        for check, status, row_count, reason in rounded_rows(
            "select check_name, status, row_count, reason from marts.fct_engineering_data_quality "
            "where repository = 'clocks'"
        )
    }
    assert checks["clock_skew"][:2] == ("ok", 0)
    status, row_count, reason = checks["implausible_dates"]
    assert (status, row_count) == ("warn", 2)
    assert f"{shas['epoch'][:10]} (authored 1970-01-01, committed 1970-01-01)" in reason
    assert f"{shas['future'][:10]} (authored 2099-01-01, committed 2099-01-01)" in reason
    assert ("clocks", "implausible_dates", reason) in data_quality_findings("warn")
