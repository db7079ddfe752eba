"""What each release shipped, through the whole chain, against ``git rev-list`` itself.

The release-flow repository (``git_repository.build_release_flow``: merge, squash and rebase
merges, a release branch merged back, a cherry-pick, a tag on a branch never merged, an older
commit deployed later) is loaded by the git source; its default branch is then force-pushed and
loaded again. dbt builds the deployments, the commit-graph walk runs, dbt builds the rest, on
DuckDB and on Postgres. Every deployment must have shipped exactly what
``git rev-list <tag> --not <earlier tags>`` lists.
"""

import pytest

from ingestion.git import git_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor

from support.environment import on_each_warehouse
from support.git_repository import build_release_flow, rev_list_shipped, rewrite_release_flow
from support.warehouse import build_with_walk


def query(sql: str) -> list[tuple]:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_each_release_ships_what_git_rev_list_says(warehouse, monkeypatch, tmp_path):
    flow = build_release_flow(tmp_path / "flow")
    pipeline = dlt_pipeline("git")
    pipeline.run(git_source(repositories=[f"flow={flow.repository.path}"]))
    rewrite_release_flow(flow)  # a force-push of main, loaded incrementally
    pipeline.run(git_source(repositories=[f"flow={flow.repository.path}"]))
    build_with_walk(warehouse, "+fct_deployments", "+fct_engineering_data_quality")

    loaded = {sha for (sha,) in query("select commit_sha from raw_git.commits")}
    assert flow.shas["z1"] not in loaded  # rewritten away
    assert flow.shas["x1"] in loaded  # kept by its tag
    order = query(
        "select deployment_id, commit_sha from marts.fct_deployments "
        "where repository = 'flow' order by deployed_at, deployment_id"
    )
    assert [tag for tag, _ in order] == flow.tags  # tag dates give the deploy order
    expected = rev_list_shipped(flow.repository.path, order)
    shipped: dict[str, set[str]] = {tag: set() for tag in flow.tags}
    for deployment_id, sha in query(
        "select deployment_id, commit_sha from intermediate.int_engineering__deployment_commits"
    ):
        shipped[deployment_id].add(sha)
    assert shipped == expected

    counts = dict(
        query(
            "select deployment_id, commit_count from marts.fct_deployments "
            "where repository = 'flow'"
        )
    )
    assert counts == {tag: len(commits) for tag, commits in expected.items()}

    # y1 was authored five minutes after v1.4.0 was tagged: no lead time, and listed.
    assert query(
        "select is_authored_after_deployment, lead_time_hours "
        "from intermediate.int_engineering__deployment_commits "
        f"where commit_sha = '{flow.shas['y1']}'"
    ) == [(True, None)]
    assert query(
        "select count(*) from intermediate.int_engineering__deployment_commits "
        "where lead_time_hours < 0 or (lead_time_hours is null and not is_merge "
        "and not is_authored_after_deployment)"
    ) == [(0,)]
    ((status, row_count, reason),) = query(
        "select status, row_count, reason from marts.fct_engineering_data_quality "
        "where repository = 'flow' and check_name = 'clock_skew'"
    )
    assert (status, row_count) == ("warn", 1)
    assert f"{flow.shas['y1'][:10]} in v1.4.0 (authored 300 s after it)" in reason
