"""Engineering marts from git alone, on repositories built commit by commit with fixed dates,
checked against figures worked out by hand and against ``git rev-list`` itself.

Three repositories go through the git source together (no GitHub data at all: the git-only
mode); dbt builds the engineering marts, the commit-graph walk runs, dbt builds the rest. That
happens once per warehouse, DuckDB and Postgres (the module fixture :func:`built_cases`), and
each test reads its own repository's rows:

- ``shop`` (:func:`build_dora_case`): DORA metrics worked out by hand;
- ``clocks`` (:func:`build_wrong_clocks`): commits dated by a broken clock (1970, 2099);
- ``flow`` (``git_repository.build_release_flow``): merge, squash and rebase merges, a release
  branch merged back, a cherry-pick, a tag on a branch never merged, an older commit deployed
  later; its default branch is force-pushed after the first load and loaded again.
"""

import os
from dataclasses import dataclass
from datetime import date

import pytest

from ingestion.git import git_source
from ingestion.local_postgres import ensure_local_postgres
from ingestion.warehouse import dlt_pipeline
from orchestration.environment import apply_local_defaults
from orchestration.summary import data_quality_findings

from support.environment import ENV_KEYS, isolate_environment
from support.git_repository import (
    ReleaseFlow,
    Repository,
    build_release_flow,
    rev_list_shipped,
    rewrite_release_flow,
)
from support.warehouse import build_with_walk, rounded_rows

ENGINEERING_MARTS = (
    "+fct_dora_weekly",
    "+fct_dora_monthly",
    "+fct_deployments",
    "+fct_incidents",
    "+fct_commits",
    "+dim_contributors",
    "+dim_repositories",
    "+fct_repository_daily_commits",
    "+fct_engineering_data_quality",
)


def build_dora_case(repo: Repository) -> dict[str, str]:
    """A merge commit, a squash merge, a rebase-free trunk, release tags (annotated and one
    lightweight), a revert of a shipped commit and a hotfix tag.

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

    Changes newly shipped (deployed - authored, hours): D1 c1 3; D2 a1 30, a2 26, c2 5 (m1 is a
    merge, not a change); D3 s1 5 (b1 and b2 never reached ``main``); D4 c3 3; D5 c4 4; D6 r1 2;
    D7 c5 145, c6 2; D8 h1 1.
    Failures: the revert of c3 marks D4 failed, restored by D6 (48 h); the hotfix tag marks D7
    failed, restored by D8 at 01-28 09:00 (22 h).
    """
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


def build_wrong_clocks(repo: Repository) -> dict[str, str]:
    """One commit dated 1970-01-01 and one dated 2099-01-01 among commits of January 2025.

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


@dataclass(frozen=True)
class Cases:
    """The three repositories' commit shas, and the environment that points at their warehouse."""

    shop: dict[str, str]
    clocks: dict[str, str]
    flow: ReleaseFlow
    environment: dict[str, str]


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built_cases(request: pytest.FixtureRequest, tmp_path_factory) -> Cases:
    """The three repositories loaded by the git source and built on the warehouse
    ``request.param``: the build each test of this module reads."""
    warehouse = request.param
    folder = tmp_path_factory.mktemp(f"engineering_cases_{warehouse}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, folder / "data", warehouse)
        apply_local_defaults()
        ensure_local_postgres()
        shop = build_dora_case(Repository(folder / "shop"))
        clocks = build_wrong_clocks(Repository(folder / "clocks"))
        flow = build_release_flow(folder / "flow")
        repositories = [
            f"shop={folder / 'shop'}",
            f"clocks={folder / 'clocks'}",
            f"flow={flow.repository.path}",
        ]
        pipeline = dlt_pipeline("git")
        pipeline.run(git_source(repositories=repositories))
        rewrite_release_flow(flow)  # a force-push of flow's main, loaded incrementally
        pipeline.run(git_source(repositories=repositories))
        build_with_walk(warehouse, *ENGINEERING_MARTS)
        environment = {key: os.environ[key] for key in ENV_KEYS if key in os.environ}
    return Cases(shop, clocks, flow, environment)


@pytest.fixture
def cases(built_cases: Cases, monkeypatch: pytest.MonkeyPatch) -> Cases:
    """:func:`built_cases`, with this test's environment pointing at its warehouse."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key, value in built_cases.environment.items():
        monkeypatch.setenv(key, value)
    return built_cases


def test_dora_metrics_from_git_alone_match_the_hand_computed_figures(cases):
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
    assert cases.shop["b1"] not in {sha for (sha,) in rounded_rows(
        "select commit_sha from intermediate.int_engineering__deployment_commits"
    )}  # fmt: skip


def test_wrong_clocks_neither_stretch_nor_skew_the_dora_marts(cases):
    """Real histories hold such dates: an import that wrote epoch 0, a committer whose clock ran
    decades ahead. Before the plausibility rule, the weekly DORA mart of ``clocks`` had a row for
    every week from 1969-12-29 to 2098-12-29 (6,732 rows)."""
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
    ) == [(cases.clocks["epoch"],), (cases.clocks["future"],)]
    assert rounded_rows("select count(*) from marts.fct_commits where repository = 'clocks'") == [
        (6,)
    ]
    assert rounded_rows(
        "select commit_sha, lead_time_hours, is_authored_after_deployment "
        "from intermediate.int_engineering__deployment_commits "
        "where repository = 'clocks' and has_implausible_date order by commit_sha"
    ) == sorted([(cases.clocks["epoch"], None, False), (cases.clocks["future"], None, False)])
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
    assert f"{cases.clocks['epoch'][:10]} (authored 1970-01-01, committed 1970-01-01)" in reason
    assert f"{cases.clocks['future'][:10]} (authored 2099-01-01, committed 2099-01-01)" in reason
    assert ("clocks", "implausible_dates", reason) in data_quality_findings("warn")


def test_each_release_ships_what_git_rev_list_says(cases):
    """Every deployment of ``flow`` shipped exactly what ``git rev-list <tag> --not <earlier
    tags>`` lists, after the force-push."""
    loaded = {sha for (sha,) in rounded_rows("select commit_sha from raw_git.commits")}
    assert cases.flow.shas["z1"] not in loaded  # rewritten away
    assert cases.flow.shas["x1"] in loaded  # kept by its tag
    order = rounded_rows(
        "select deployment_id, commit_sha from marts.fct_deployments "
        "where repository = 'flow' order by deployed_at, deployment_id"
    )
    assert [tag for tag, _ in order] == cases.flow.tags  # tag dates give the deploy order
    expected = rev_list_shipped(cases.flow.repository.path, order)
    shipped: dict[str, set[str]] = {tag: set() for tag in cases.flow.tags}
    for deployment_id, sha in rounded_rows(
        "select deployment_id, commit_sha from intermediate.int_engineering__deployment_commits "
        "where repository = 'flow'"
    ):
        shipped[deployment_id].add(sha)
    assert shipped == expected

    counts = dict(
        rounded_rows(
            "select deployment_id, commit_count from marts.fct_deployments "
            "where repository = 'flow'"
        )
    )
    assert counts == {tag: len(commits) for tag, commits in expected.items()}

    # y1 was authored five minutes after v1.4.0 was tagged: no lead time, and listed.
    assert rounded_rows(
        "select is_authored_after_deployment, lead_time_hours "
        "from intermediate.int_engineering__deployment_commits "
        f"where commit_sha = '{cases.flow.shas['y1']}'"
    ) == [(True, None)]
    assert rounded_rows(
        "select count(*) from intermediate.int_engineering__deployment_commits "
        "where repository = 'flow' and (lead_time_hours < 0 "
        "or (lead_time_hours is null and not is_merge and not is_authored_after_deployment))"
    ) == [(0,)]
    ((status, row_count, reason),) = rounded_rows(
        "select status, row_count, reason from marts.fct_engineering_data_quality "
        "where repository = 'flow' and check_name = 'clock_skew'"
    )
    assert (status, row_count) == ("warn", 1)
    assert f"{cases.flow.shas['y1'][:10]} in v1.4.0 (authored 300 s after it)" in reason
