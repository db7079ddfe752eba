"""DORA metrics from git alone, checked against figures worked out by hand.

A small repository is built commit by commit with fixed dates: a merge commit, a squash merge, a
rebase-free trunk, release tags (annotated and one lightweight), a revert of a shipped commit and
a hotfix tag. It goes through the git source and the dbt build with no GitHub data at all (the
git-only mode), on DuckDB and on Postgres.

The story, all times UTC, depth = first-parent depth on ``main``:

======  ==========================  =====  ==============================================
commit  authored (committed)        depth  what
======  ==========================  =====  ==============================================
c1      Mon 01-06 09:00             1      init; tag v1.0.0 at 12:00 -> D1
a1, a2  Tue 01-07 10:00, 14:00      --     branch ``feature/cart``, merged by m1
m1      Wed 01-08 10:00             2      merge commit (no fast-forward)
c2      Wed 01-08 11:00             3      tag v1.1.0 at 16:00 -> D2
b1, b2  Thu 01-09 09:00, 13:00      --     branch ``feature/search``, squashed into s1, kept
s1      Fri 01-10 10:00 (15:00)     4      squash; lightweight tag v1.2.0 -> D3 at 15:00
c3      Mon 01-13 09:00             5      "Add discount"; tag v1.3.0 at 12:00 -> D4
c4      Mon 01-13 13:00             6      tag v1.3.1 at 17:00 -> D5 (same day as D4)
r1      Wed 01-15 10:00             7      reverts c3; tag v1.4.0 at 12:00 -> D6
c5      Tue 01-21 10:00             8      nothing deployed in the week of 01-20
c6      Mon 01-27 09:00             9      tag v1.5.0 at 11:00 -> D7
h1      Tue 01-28 08:00             10     tag v1.5.1-hotfix at 09:00 -> D8 (a hotfix)
======  ==========================  =====  ==============================================

Changes newly shipped (deployed - authored, hours): D1 c1 3; D2 a1 30, a2 26, c2 5 (m1 is a merge,
not a change); D3 s1 5 (b1 and b2 never reached ``main``); D4 c3 3; D5 c4 4; D6 r1 2;
D7 c5 145, c6 2; D8 h1 1.
Failures: the revert of c3 marks D4 failed, restored by D6 (48 h); the hotfix tag marks D7
failed, restored by D8 at 01-28 09:00 (22 h).
"""

from pathlib import Path

import pytest

from ingestion.git import git_source
from ingestion.warehouse import dlt_pipeline

from support.environment import on_each_warehouse
from support.git_repository import Repository
from support.warehouse import build_with_walk, rounded_rows

ENGINEERING_MARTS = ("+fct_dora_weekly", "+fct_dora_monthly", "+fct_deployments", "+fct_incidents")


def build_case(path: Path) -> dict[str, str]:
    repo = Repository(path)
    shas = {"c1": repo.commit("c1", "2025-01-06T09:00:00Z")}
    repo.tag("v1.0.0", "2025-01-06T12:00:00Z")

    repo.git("checkout", "--quiet", "-b", "feature/cart")
    shas["a1"] = repo.commit("a1", "2025-01-07T10:00:00Z")
    shas["a2"] = repo.commit("a2", "2025-01-07T14:00:00Z")
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge cart", "feature/cart",
             when="2025-01-08T10:00:00Z")  # fmt: skip
    shas["m1"] = repo.git("rev-parse", "HEAD")
    shas["c2"] = repo.commit("c2", "2025-01-08T11:00:00Z")
    repo.tag("v1.1.0", "2025-01-08T16:00:00Z")

    repo.git("checkout", "--quiet", "-b", "feature/search")
    shas["b1"] = repo.commit("b1", "2025-01-09T09:00:00Z")
    shas["b2"] = repo.commit("b2", "2025-01-09T13:00:00Z")
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--squash", "feature/search", when="2025-01-10T10:00:00Z")
    repo.git("commit", "--quiet", "-m", "Search (#2)",
             when="2025-01-10T10:00:00Z", commit_when="2025-01-10T15:00:00Z")  # fmt: skip
    shas["s1"] = repo.git("rev-parse", "HEAD")
    repo.tag("v1.2.0", "2025-01-10T15:00:00Z", annotated=False)

    shas["c3"] = repo.commit("discount", "2025-01-13T09:00:00Z")
    repo.tag("v1.3.0", "2025-01-13T12:00:00Z")
    shas["c4"] = repo.commit("c4", "2025-01-13T13:00:00Z")
    repo.tag("v1.3.1", "2025-01-13T17:00:00Z")
    repo.git("revert", "--no-edit", shas["c3"], when="2025-01-15T10:00:00Z")
    shas["r1"] = repo.git("rev-parse", "HEAD")
    repo.tag("v1.4.0", "2025-01-15T12:00:00Z")

    shas["c5"] = repo.commit("c5", "2025-01-21T10:00:00Z")
    shas["c6"] = repo.commit("c6", "2025-01-27T09:00:00Z")
    repo.tag("v1.5.0", "2025-01-27T11:00:00Z")
    shas["h1"] = repo.commit("h1", "2025-01-28T08:00:00Z")
    repo.tag("v1.5.1-hotfix", "2025-01-28T09:00:00Z")
    return shas


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_dora_metrics_from_git_alone_match_the_hand_computed_figures(
    warehouse, monkeypatch, tmp_path
):
    shas = build_case(tmp_path / "shop")
    source = git_source(repositories=[f"shop={tmp_path / 'shop'}"])
    dlt_pipeline("git").run(source)
    build_with_walk(warehouse, *ENGINEERING_MARTS)

    deployments = rounded_rows(
        "select name, cast(deployed_at as text), commit_count, change_count, is_failure "
        "from marts.fct_deployments where repository = 'shop' order by deployed_at"
    )
    assert [row[0] for row in deployments] == [
        "v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.3.1", "v1.4.0", "v1.5.0", "v1.5.1-hotfix",
    ]  # fmt: skip
    assert [row[2:] for row in deployments] == [
        (1, 1, False),
        (4, 3, False),  # m1, a1, a2, c2: the merge commit ships but is not a change
        (1, 1, False),  # s1 only: the squashed branch commits never reached main
        (1, 1, True),  # reverted by r1
        (1, 1, False),
        (1, 1, False),
        (2, 2, True),  # followed by the hotfix
        (1, 1, False),
    ]
    assert deployments[2][1].startswith("2025-01-10 15:00:00")  # lightweight: the commit time

    weekly = rounded_rows(
        "select cast(week_start as text), deployment_count, deployment_days, "
        "median_lead_time_hours, change_failure_rate, median_recovery_time_hours "
        "from marts.fct_dora_weekly where repository = 'shop' order by week_start"
    )
    assert weekly == [
        ("2025-01-06", 3, 3, 5.0, 0.0, None),  # changes 3, 5, 5, 26, 30 h
        ("2025-01-13", 3, 2, 3.0, round(1 / 3, 6), 48.0),  # changes 3, 4, 2 h; D4 failed
        ("2025-01-20", 0, 0, None, None, None),  # a week without deployments still shows
        ("2025-01-27", 2, 2, 2.0, 0.5, 22.0),  # changes 145, 2, 1 h; D7 failed, D8 restored
    ]

    monthly = rounded_rows(
        "select cast(month_start as text), deployment_count, deployment_days, "
        "median_weekly_deployment_days, median_lead_time_hours, change_failure_rate, "
        "median_recovery_time_hours, deployment_frequency_tier, lead_time_tier, "
        "change_failure_rate_tier, recovery_time_tier "
        "from marts.fct_dora_monthly where repository = 'shop'"
    )
    # Weeks starting in January: 3, 2, 0 and 2 deployment-days, median 2 (high: >= 1 a week).
    # Eleven changes 1, 2, 2, 3, 3, 4, 5, 5, 26, 30, 145 h: median 4 h (elite: < 1 day).
    # Two of eight deployments failed: 25 % (low: > 15 %). Recoveries 48 and 22 h: median
    # 35 h (medium: under a week, not under a day).
    assert monthly == [("2025-01-01", 8, 7, 2.0, 4.0, 0.25, 35.0, "high", "elite", "low", "medium")]
    assert shas["b1"] not in {sha for (sha,) in rounded_rows(
        "select commit_sha from intermediate.int_engineering__deployment_commits"
    )}  # fmt: skip
