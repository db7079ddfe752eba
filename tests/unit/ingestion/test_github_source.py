"""The ``github`` dlt source against the local GitHub over real HTTP, into a real DuckDB.

The world is built here; expected rows come from it. The local GitHub's request log shows what
the source really asked (pages, children, conditional requests, retries).
"""

from __future__ import annotations

import io
import logging
import traceback
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.common import logger as dlt_logging

from demo.github.server import LocalGitHub
from ingestion.github import GitHubError, github_source
from ingestion.github.client import GitHubApi
from ingestion.github.session import HttpSettings
from ingestion.github.source import default_cache_folder, repository_names
from ingestion.warehouse import dlt_pipeline, make_pipeline

TOKEN = "ghp_TributaryTestToken_5f2a9c7e1b"
SHOP, API = "acme/shop", "acme/api"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
SHOP_PULLS = 105  # two pages of pull requests (and of issues) at per_page=100
SHOP_RUNS = 130
DLT_COLUMNS = {"_dlt_load_id", "_dlt_id"}


def stamp(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def person(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": sum(map(ord, login)), "type": kind, "site_admin": False}


def repository_world(full_name: str, pulls: int, runs: int, base: int) -> dict[str, Any]:
    """A repository in GitHub's shapes: PR n is created at hour n and updated at hour n + 6;
    every third PR is still open; each PR has two reviews (one by a bot) and two commits."""
    pull_objects, reviews, commits, issues = [], {}, {}, []
    for n in range(1, pulls + 1):
        merged = None if n % 3 == 0 else stamp(n + 5)
        head = f"{base + n:040x}"
        pull = {
            "id": base + n,
            "number": n,
            "title": f"Change {n}",
            "state": "open" if merged is None else "closed",
            "draft": n % 7 == 0,
            "user": person(f"dev{n % 4}"),
            "created_at": stamp(n),
            "updated_at": stamp(n + 6),
            "closed_at": merged,
            "merged_at": merged,
            "merge_commit_sha": None if merged is None else f"{base + n:039x}f",
            "head": {"ref": f"topic/{n}", "sha": head, "repo": {"full_name": full_name}},
            "base": {"ref": "main", "sha": "0" * 40, "repo": {"full_name": full_name}},
            "html_url": f"https://github.com/{full_name}/pull/{n}",
            "body": "A long description the warehouse does not keep.",
        }
        pull_objects.append(pull)
        reviews[str(n)] = [
            {
                "id": (base + n) * 10 + k,
                "user": person("reviewer") if k == 0 else person("linter[bot]", "Bot"),
                "state": "APPROVED" if k == 0 else "COMMENTED",
                "submitted_at": stamp(n + 2 + k),
                "commit_id": head,
                "body": "",
            }
            for k in range(2)
        ]
        commits[str(n)] = [
            {
                "sha": f"{base + n:038x}{k:02x}",
                "author": person(f"dev{n % 4}"),
                "commit": {
                    "author": {
                        "name": f"Dev {n % 4}",
                        "email": f"dev{n % 4}@acme.io",
                        "date": stamp(n - 1 + k),
                    },
                    "committer": {
                        "name": "GitHub",
                        "email": "noreply@github.com",
                        "date": stamp(n + k),
                    },
                    "message": f"work on {n}",
                },
            }
            for k in range(2)
        ]
        issues.append(
            {
                "id": base * 10 + n,
                "number": n,
                "title": pull["title"],
                "state": pull["state"],
                "user": pull["user"],
                "labels": [],
                "created_at": pull["created_at"],
                "updated_at": pull["updated_at"],
                "closed_at": pull["closed_at"],
                "pull_request": {"url": f"https://api.github.com/repos/{full_name}/pulls/{n}"},
            }
        )
    for n in range(pulls + 1, pulls + 6):
        issues.append(
            {
                "id": base * 10 + n,
                "number": n,
                "title": f"Checkout down {n}",
                "state": "closed",
                "user": person("oncall"),
                "labels": [
                    {"id": 1, "name": "incident", "color": "d73a4a"},
                    {"id": 2, "name": "P1", "color": "fbca04"},
                ],
                "created_at": stamp(n),
                "updated_at": stamp(n + 2),
                "closed_at": stamp(n + 2),
            }
        )
    deployments = [
        {
            "id": base + 700 + k,
            "sha": f"{k:040x}",
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "production_environment": True,
            "created_at": stamp(10 * k),
            "updated_at": stamp(10 * k + 1),
            "creator": person("deploy-bot[bot]", "Bot"),
        }
        for k in range(4)
    ]
    return {
        "pulls": pull_objects,
        "reviews": reviews,
        "pull_commits": commits,
        "issues": issues,
        "releases": [
            {
                "id": base + 500 + k,
                "tag_name": f"v1.{k}.0",
                "name": f"Release 1.{k}",
                "target_commitish": "main",
                "draft": False,
                "prerelease": k == 2,
                "created_at": stamp(24 * k),
                "published_at": stamp(24 * k + 1),
                "author": person("dev1"),
            }
            for k in range(3)
        ],
        "deployments": deployments,
        "deployment_statuses": {
            str(deployment["id"]): [
                {
                    "id": deployment["id"] * 10 + j,
                    "state": state,
                    "environment": "production",
                    "created_at": stamp(10 * k + j),
                    "updated_at": stamp(10 * k + j),
                }
                for j, state in enumerate(("in_progress", "success" if k != 2 else "failure"))
            ]
            for k, deployment in enumerate(deployments)
        },
        "workflow_runs": [
            {
                "id": base * 100 + k,
                "name": "Deploy" if k % 2 else "CI",
                "display_title": f"Run {k}",
                "event": "push",
                "status": "completed",
                "conclusion": "success" if k % 5 else "failure",
                "head_branch": "main",
                "head_sha": f"{k:040x}",
                "run_number": k,
                "run_attempt": 1,
                "workflow_id": 7 + k % 2,
                "path": ".github/workflows/deploy.yml" if k % 2 else ".github/workflows/ci.yml",
                "created_at": stamp(k),
                "updated_at": stamp(k + 1),
                "run_started_at": stamp(k),
                "actor": person("dev2"),
                "repository": {"full_name": full_name},
            }
            for k in range(1, runs + 1)
        ],
    }


def build_world() -> dict[str, Any]:
    return {
        "now": "2025-03-03T12:00:00Z",
        "repositories": {
            SHOP: repository_world(SHOP, SHOP_PULLS, SHOP_RUNS, 10_000),
            API: repository_world(API, 4, 3, 50_000),
        },
    }


@pytest.fixture
def env(tributary_env, monkeypatch) -> Path:
    for key in ("GITHUB_TOKEN", "SOURCES__GITHUB__ACCESS_TOKEN", "SOURCES__GITHUB__REPOSITORIES"):
        monkeypatch.delenv(key, raising=False)
    return tributary_env


@pytest.fixture
def github(env) -> Iterator[LocalGitHub]:
    with LocalGitHub(build_world(), token=TOKEN) as server:
        yield server


def source(
    github: LocalGitHub, repositories: tuple[str, ...] = (SHOP, API), **settings: Any
) -> Any:
    """The source against the local GitHub with short waits; the small ``acme/api`` alone where
    paging does not matter (fewer requests, faster tests)."""
    settings.setdefault("access_token", TOKEN)
    settings.setdefault("request_backoff_factor", 0.01)
    settings.setdefault("secondary_limit_wait_seconds", 0.05)
    settings.setdefault("max_rate_limit_wait_seconds", 10)
    return github_source(repositories=list(repositories), base_url=github.url, **settings)


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        return [tuple(row) for row in client.execute_sql(sql)]


def table_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    tables = [
        "pull_requests",
        "pull_request_reviews",
        "pull_request_commits",
        "issues",
        "releases",
        "deployments",
        "deployment_statuses",
        "workflow_runs",
    ]
    return {table: rows(pipeline, f"select count(*) from {table}")[0][0] for table in tables}


def world_counts(world: dict[str, Any], names: tuple[str, ...] = (SHOP, API)) -> dict[str, int]:
    repositories = [world["repositories"][name] for name in names]

    def total(key: str) -> int:
        return sum(
            sum(map(len, r[key].values())) if isinstance(r[key], dict) else len(r[key])
            for r in repositories
        )

    return {
        "pull_requests": total("pulls"),
        "pull_request_reviews": total("reviews"),
        "pull_request_commits": total("pull_commits"),
        "issues": total("issues"),
        "releases": total("releases"),
        "deployments": total("deployments"),
        "deployment_statuses": total("deployment_statuses"),
        "workflow_runs": total("workflow_runs"),
    }


def causes(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def paths(github: LocalGitHub, status: int | None = None) -> list[str]:
    return [p for _, p, s in github.requests if status is None or s == status]


# --- loading -----------------------------------------------------------------------------------


def test_first_run_loads_every_page_shaped_to_the_contract(github):
    pipeline = dlt_pipeline("github")
    assert pipeline.dataset_name == "raw_github"
    pipeline.run(source(github))
    world = github.world
    assert table_counts(pipeline) == world_counts(world)
    # Paging: per_page=100 and the Link header's second page, for pulls, issues and runs.
    shop = "/repos/acme/shop"
    for endpoint in ("pulls", "issues", "actions/runs"):
        asked = [p for p in paths(github) if p.startswith(f"{shop}/{endpoint}?")]
        assert len(asked) == 2 and all("per_page=100" in p for p in asked), asked
        assert "page=2" in asked[1]
    assert set(paths(github, 200)) == set(paths(github))  # no error on the way
    # Columns: exactly the contract's, nested objects flattened by dlt.
    columns = pipeline.default_schema.get_table_columns("pull_requests")
    assert set(columns) - DLT_COLUMNS == {
        "repository", "id", "number", "title", "state", "draft", "user__login", "user__type",
        "created_at", "updated_at", "closed_at", "merged_at", "merge_commit_sha", "head__ref",
        "head__sha", "base__ref", "html_url",
    }  # fmt: skip
    assert columns["merged_at"]["data_type"] == "timestamp"
    assert "issues__labels" not in pipeline.default_schema.tables
    assert set(pipeline.default_schema.get_table_columns("workflow_runs")) - DLT_COLUMNS == {
        "repository", "id", "name", "display_title", "event", "status", "conclusion",
        "head_branch", "head_sha", "run_number", "run_attempt", "workflow_id", "path",
        "created_at", "updated_at", "run_started_at", "actor__login",
    }  # fmt: skip
    # Values: one pull request against the world object.
    pull = world["repositories"][SHOP]["pulls"][40]
    ((repository, number, login, merged_at, head_ref, draft),) = rows(
        pipeline,
        "select repository, number, user__login, merged_at, head__ref, draft "
        f"from pull_requests where id = {pull['id']}",
    )
    assert (repository, number, login, head_ref, draft) == (
        SHOP, 41, pull["user"]["login"], "topic/41", False
    )  # fmt: skip
    assert merged_at == datetime.fromisoformat(pull["merged_at"])
    # Children carry their parent's key; issues carry their labels; PRs are flagged in issues.
    assert rows(
        pipeline, "select count(distinct pull_request_number) from pull_request_reviews"
    ) == [(SHOP_PULLS,)]
    assert rows(
        pipeline,
        "select count(*) from issues where not is_pull_request "
        "and list_contains(string_split(label_names, chr(10)), 'incident')",
    ) == [(10,)]
    assert rows(pipeline, "select count(*) from issues where is_pull_request") == [
        (SHOP_PULLS + 4,)
    ]
    assert rows(
        pipeline,
        "select s.state, count(*) from deployment_statuses s join deployments d "
        "on d.id = s.deployment_id and d.repository = s.repository group by 1 order by 1",
    ) == [("failure", 2), ("in_progress", 8), ("success", 6)]
    assert rows(pipeline, "select distinct repository from workflow_runs order by 1") == [
        (API,),
        (SHOP,),
    ]


def test_reruns_fetch_only_what_changed_and_merge(github):
    pipeline = dlt_pipeline("github")
    pipeline.run(source(github))
    first = table_counts(pipeline)
    # Nothing changed: the same rows; one page per incremental endpoint, no review or commit
    # fetched, and every conditional list answered 304 from the ETag cache.
    github.requests.clear()
    pipeline.run(source(github))
    assert table_counts(pipeline) == first
    asked = paths(github)
    assert not [p for p in asked if "/reviews" in p or "/commits" in p]
    assert len([p for p in asked if "/pulls?" in p]) == 2  # one page per repository
    assert len([p for p in asked if "/actions/runs" in p]) == 2
    conditional = [p for p in asked if "/releases" in p or "/deployments" in p]
    assert conditional and set(conditional) == set(paths(github, 304))
    # One pull request updated (a new review): only it, its reviews and commits are re-read.
    shop = github.world["repositories"][SHOP]
    with github.lock:
        pull = shop["pulls"][9]
        pull["updated_at"], pull["title"] = stamp(500), "Change 10, reworked"
        shop["reviews"]["10"].append(
            {"id": 999_999, "user": person("reviewer"), "state": "CHANGES_REQUESTED",
             "submitted_at": stamp(499), "commit_id": pull["head"]["sha"]}
        )  # fmt: skip
    github.requests.clear()
    pipeline.run(source(github))
    children = sorted(p for p in paths(github) if "/reviews" in p or "/commits" in p)
    assert children == [
        "/repos/acme/shop/pulls/10/commits?per_page=100",
        "/repos/acme/shop/pulls/10/reviews?per_page=100",
    ]
    counts = table_counts(pipeline)
    assert counts == {**first, "pull_request_reviews": first["pull_request_reviews"] + 1}
    assert rows(pipeline, f"select title from pull_requests where id = {pull['id']}") == [
        ("Change 10, reworked",)
    ]
    state = pipeline.state["sources"]["github"]["resources"]["pull_requests"]["cursors"]
    assert state[SHOP] == {"updated_at": stamp(500), "ids": [pull["id"]]}


def test_a_fresh_warehouse_gets_right_rows_from_304_answers(github, env):
    """The ETag cache outlives the warehouse: a new pipeline gets 304s and still every row."""
    dlt_pipeline("github").run(source(github))
    assert any(default_cache_folder().glob("*.json"))
    github.requests.clear()
    used_before = github.rate.snapshot()["used"]
    fresh = make_pipeline(
        pipeline_name="github_fresh",
        destination=dlt.destinations.duckdb(str(env / "fresh.duckdb")),
        dataset_name="raw_github",
        pipelines_dir=str(env / "fresh_dlt"),
    )
    fresh.run(source(github))
    not_modified = paths(github, 304)
    assert len(not_modified) == 2 + 2 + 8 + 2 * (SHOP_PULLS + 4)  # releases, deployments, ...
    assert table_counts(fresh) == world_counts(github.world)
    world_statuses = sorted(
        (status["id"], status["state"])
        for repository in github.world["repositories"].values()
        for statuses in repository["deployment_statuses"].values()
        for status in statuses
    )
    assert rows(fresh, "select id, state from deployment_statuses order by id") == world_statuses
    assert github.rate.snapshot()["used"] - used_before == len(paths(github, 200))  # 304s: free


# --- HTTP failures -----------------------------------------------------------------------------


def test_rate_limits_server_errors_and_dropped_connections_are_retried(github):
    github.faults.add("secondary_limit", path_contains="/releases", retry_after=1)
    github.faults.add("too_many_requests", path_contains="/deployments?", retry_after=0)
    github.faults.add("server_error", path_contains="/pulls/3/reviews", times=2, status=503)
    github.faults.add("disconnect", path_contains="/actions/runs")
    github.faults.add("server_error", path_contains="/issues", status=500)
    pipeline = dlt_pipeline("github")
    pipeline.run(source(github, (API,)))
    assert table_counts(pipeline) == world_counts(github.world, (API,))
    statuses = Counter(s for _, _, s in github.requests)
    assert (statuses[403], statuses[429], statuses[503], statuses[500], statuses[0]) == (
        1, 1, 2, 1, 1
    )  # fmt: skip
    assert github.faults.pending() == []


def test_spent_primary_limit_waits_for_the_reset(github, tmp_path):
    """A 403 with x-ratelimit-remaining 0 waits until x-ratelimit-reset, then succeeds; an
    answer saying the budget is spent makes the next request wait before it is sent."""
    api = GitHubApi(github.url, TOKEN, HttpSettings(max_rate_limit_wait_seconds=5))
    github.faults.add("primary_limit", path_contains="/releases", retry_after=1)
    started = datetime.now(UTC)
    assert len(next(api.pages("/repos/acme/shop/releases"))) == 3
    assert datetime.now(UTC) - started >= timedelta(seconds=0.5)
    assert api.session.stats.rate_limit_waits == 1
    assert [s for _, _, s in github.requests] == [403, 200]
    with LocalGitHub(build_world(), rate_limit=2, rate_limit_window_seconds=1) as tight:
        api = GitHubApi(tight.url, None, HttpSettings(max_rate_limit_wait_seconds=5))
        for _ in range(3):
            api.get("/repos/acme/shop/releases")
        assert [s for _, _, s in tight.requests] == [200, 200, 200]  # waited instead of a 403
        assert api.session.stats.rate_limit_waits == 1


def test_a_reset_beyond_the_wait_cap_fails_saying_when(github):
    github.faults.add("primary_limit", retry_after=3600)
    api = GitHubApi(github.url, TOKEN, HttpSettings(max_rate_limit_wait_seconds=2))
    with pytest.raises(GitHubError) as failure:
        api.get("/repos/acme/shop/releases")
    message = str(failure.value)
    reset = datetime.fromtimestamp(github.rate.snapshot()["reset"], UTC)
    assert f"resets at {reset:%Y-%m-%dT%H:%M:%SZ}" in message
    assert "max_rate_limit_wait_seconds=2" in message and "/repos/acme/shop/releases" in message
    github.faults.add("secondary_limit", retry_after=600)
    with pytest.raises(GitHubError, match="resets at"):
        api.get("/repos/acme/shop/deployments")


def test_persistent_server_errors_fail_naming_the_endpoint(github):
    github.faults.add("server_error", path_contains="/deployments?", times=3, status=502)
    pipeline = dlt_pipeline("github")
    with pytest.raises(Exception) as failure:
        pipeline.run(source(github, (API,), request_max_attempts=3))
    message = str(failure.value)
    assert "/repos/acme/api/deployments" in message
    assert "HTTP 502 from GitHub on all 3 attempts" in message
    assert any(isinstance(error, GitHubError) for error in causes(failure.value))
    # The failed run advanced no cursor: the next run loads everything.
    pipeline.run(source(github, (API,)))
    assert table_counts(pipeline) == world_counts(github.world, (API,))
    github.faults.add("disconnect", path_contains="/releases", times=2)
    api = GitHubApi(github.url, TOKEN, HttpSettings(max_attempts=2, backoff_factor=0.01))
    with pytest.raises(GitHubError, match=r"/releases\?per_page=100: no answer .* 2 attempts"):
        next(api.pages("/repos/acme/shop/releases"))


# --- the token ---------------------------------------------------------------------------------


def test_the_token_never_leaks(github, env, monkeypatch, caplog, capfd):
    """With dlt and our loggers at DEBUG, retries logged and failures raised, the token shows up
    in no log line, output, exception, repr, table, state, trace or cache file."""
    monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", TOKEN)  # resolved by dlt as a secret
    caplog.set_level(logging.DEBUG)
    dlt_log = io.StringIO()  # dlt's own logger, at DEBUG (it logs request headers there)
    dlt_logger = logging.getLogger("tributary.test.dlt")
    dlt_logger.setLevel(logging.DEBUG)
    dlt_logger.propagate = False
    dlt_logger.addHandler(logging.StreamHandler(dlt_log))
    monkeypatch.setattr(dlt_logging, "LOGGER", dlt_logger)
    monkeypatch.setattr(dlt_logging, "_create_logger", lambda *args, **kwargs: dlt_logger)
    github.faults.add("secondary_limit", path_contains="/releases", retry_after=0)
    github.faults.add("server_error", path_contains="/pulls?")
    pipeline = dlt_pipeline("github")
    loaded = github_source(repositories=[API], base_url=github.url, request_backoff_factor=0.01)
    info = pipeline.run(loaded)
    texts = [str(info), repr(loaded), str(pipeline.last_trace), repr(pipeline.last_trace)]
    github.faults.add("server_error", path_contains="/deployments?", times=5)
    with pytest.raises(Exception) as failure:
        pipeline.run(source(github, (API,), request_max_attempts=2))
    texts += ["".join(traceback.format_exception(failure.value)), repr(failure.value)]
    captured = capfd.readouterr()
    texts += [caplog.text, dlt_log.getvalue(), captured.out, captured.err]
    dumped = [
        str(rows(pipeline, f"select * from {table}"))
        for table in [*table_counts(pipeline), "_dlt_pipeline_state", "_dlt_loads"]
    ]
    files = [
        file.read_bytes().decode(errors="replace")
        for folder in (Path(pipeline.working_dir), default_cache_folder())
        for file in folder.rglob("*")
        if file.is_file()
    ]
    assert "Making GET request" in dlt_log.getvalue()  # dlt did log the requests
    assert "headers=" in dlt_log.getvalue()  # with their headers, at DEBUG
    assert "retrying" in caplog.text
    assert "/repos/acme/api/deployments" in texts[4]
    for text in texts + dumped + files:
        assert TOKEN not in text


def test_a_refused_token_gives_a_clear_error_without_the_token(github, monkeypatch):
    wrong = "ghp_WrongTokenThatMustNotBeShown_42"
    monkeypatch.setenv("GITHUB_TOKEN", wrong)  # the fallback when no secret is configured
    with pytest.raises(Exception) as failure:
        dlt_pipeline("github").run(
            github_source(repositories=[SHOP], base_url=github.url, request_backoff_factor=0.01)
        )
    text = "".join(traceback.format_exception(failure.value))
    assert "HTTP 401: Bad credentials" in text
    assert "GitHub did not accept the access token" in text
    assert "/repos/acme/shop/" in text
    assert wrong not in text
    assert paths(github, 401) and len(paths(github)) == 1  # not retried


# --- configuration -----------------------------------------------------------------------------


def test_repository_names_are_checked():
    assert repository_names("acme/shop, acme/api,acme/shop") == [SHOP, API]
    with pytest.raises(ValueError, match="owner/repo"):
        repository_names(["https://github.com/acme/shop"])


def test_repositories_and_token_come_from_dlt_config(github, monkeypatch):
    monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", '["acme/api"]')
    monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", github.url)
    monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", TOKEN)
    pipeline = dlt_pipeline("github")
    pipeline.run(github_source().with_resources("releases"))
    assert rows(pipeline, "select distinct repository from releases") == [(API,)]
