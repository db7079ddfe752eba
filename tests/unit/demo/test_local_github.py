"""The local GitHub over real HTTP: listings, paging, ETags, rate limit, authentication, faults.

Expected values come from the world built here and from GitHub's documented behaviour, not from
the server's own helpers.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from demo.github.server import LocalGitHub

from support.stand_in_command import stand_in_from_command_line

TOKEN = "ghp_localTestToken0123456789"
REPO = "/repos/octo/shop"


def stamp(day: int, hour: int = 0) -> str:
    return f"2025-01-{day:02d}T{hour:02d}:00:00Z"


def small_world() -> dict[str, Any]:
    """Five pull requests (created on days 1..5, updated in another order), two issues, a
    release, two deployments with statuses and three workflow runs."""
    updated = {1: 9, 2: 6, 3: 8, 4: 7, 5: 10}
    pulls = [
        {
            "id": 100 + n,
            "number": n,
            "title": f"change {n}",
            "state": "open" if n == 5 else "closed",
            "user": {"login": f"dev{n}", "id": n, "type": "User"},
            "created_at": stamp(n),
            "updated_at": stamp(updated[n]),
            "head": {"ref": f"topic-{n}", "sha": f"{n:040x}"},
            "base": {"ref": "main"},
        }
        for n in range(1, 6)
    ]
    issues = [
        {**pull, "id": 900 + pull["number"], "labels": [], "pull_request": {"url": "u"}}
        for pull in pulls
    ]
    issues += [
        {
            "id": 990 + n,
            "number": n,
            "title": f"outage {n}",
            "state": "closed",
            "user": {"login": "ops", "id": 50, "type": "User"},
            "created_at": stamp(n + 5),
            "updated_at": stamp(n + 10),
            "labels": [{"id": 1, "name": "incident", "color": "d00"}],
        }
        for n in (6, 7)
    ]
    return {
        "now": "2025-03-03T12:00:00Z",
        "repositories": {
            "octo/shop": {
                "pulls": pulls,
                "reviews": {
                    "1": [
                        {"id": 2, "state": "APPROVED", "submitted_at": stamp(3)},
                        {"id": 1, "state": "COMMENTED", "submitted_at": stamp(2)},
                    ]
                },
                "pull_commits": {"1": [{"sha": "a" * 40}, {"sha": "b" * 40}]},
                "issues": issues,
                "releases": [{"id": 7, "tag_name": "v1.0.0", "created_at": stamp(4)}],
                "deployments": [
                    {"id": 11, "sha": "c" * 40, "environment": "production"},
                    {"id": 12, "sha": "d" * 40, "environment": "staging"},
                ],
                "deployment_statuses": {
                    "11": [{"id": 111, "state": "in_progress"}, {"id": 112, "state": "success"}]
                },
                "workflow_runs": [
                    {"id": 31, "created_at": stamp(1), "head_branch": "main", "event": "push"},
                    {"id": 32, "created_at": stamp(2), "head_branch": "main", "event": "push"},
                    {"id": 33, "created_at": stamp(3), "head_branch": "dev", "event": "push"},
                ],
            }
        },
    }


@pytest.fixture(scope="module")
def module_github() -> Iterator[LocalGitHub]:
    with LocalGitHub(small_world(), token=TOKEN) as github:
        yield github


@pytest.fixture
def github(module_github) -> LocalGitHub:
    module_github.faults.clear()
    module_github.requests.clear()
    return module_github


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.body = status, body
        self.headers = {name.lower(): value for name, value in headers.items()}

    def json(self) -> Any:
        return json.loads(self.body)

    def links(self) -> dict[str, str]:
        found = re.findall(r'<([^>]+)>; rel="(\w+)"', self.headers.get("link", ""))
        return {rel: url for url, rel in found}


def get(
    url: str,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    payload: Any = None,
) -> Answer:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def numbers(answer: Answer) -> list[int]:
    return [item["number"] for item in answer.json()]


# --- listings and paging -----------------------------------------------------------------------


def test_pages_follow_github_link_headers(github):
    first = get(f"{github.url}{REPO}/pulls?state=all&per_page=2")
    assert first.status == 200 and numbers(first) == [5, 4]  # created, newest first
    links = first.links()
    assert set(links) == {"next", "last"}
    assert "page=2" in links["next"] and "page=3" in links["last"]
    assert "state=all" in links["next"] and "per_page=2" in links["next"]
    collected, url = numbers(first), links["next"]
    while url:
        page = get(url)
        collected += numbers(page)
        url = page.links().get("next")
    assert collected == [5, 4, 3, 2, 1]
    last = get(links["last"])
    assert set(last.links()) == {"prev", "first"} and numbers(last) == [1]
    middle = get(f"{github.url}{REPO}/pulls?state=all&per_page=2&page=2")
    assert set(middle.links()) == {"prev", "next", "last", "first"}
    single = get(f"{github.url}{REPO}/pulls?state=all&per_page=500")  # at most 100
    assert numbers(single) == [5, 4, 3, 2, 1] and "link" not in single.headers
    assert len(get(f"{github.url}{REPO}/pulls?state=all").json()) == 5  # default 30 per page
    assert get(f"{github.url}{REPO}/pulls?state=all&page=9").json() == []


def test_pull_request_filters_and_order(github):
    url = f"{github.url}{REPO}/pulls"
    assert numbers(get(url)) == [5]  # state defaults to open
    assert numbers(get(f"{url}?state=closed")) == [4, 3, 2, 1]
    assert numbers(get(f"{url}?state=all&sort=updated&direction=desc")) == [5, 1, 3, 4, 2]
    assert numbers(get(f"{url}?state=all&sort=updated")) == [2, 4, 3, 1, 5]  # asc by default
    assert numbers(get(f"{url}?state=all&direction=asc")) == [1, 2, 3, 4, 5]
    assert get(f"{url}?state=merged").status == 422
    assert get(f"{github.url}{REPO}/pulls/3").json()["number"] == 3


def test_issues_include_pull_requests_and_honour_since(github):
    url = f"{github.url}{REPO}/issues?state=all"
    everything = get(url).json()
    assert len(everything) == 7
    assert sum("pull_request" in issue for issue in everything) == 5
    since = get(f"{url}&since=2025-01-09T00:00:00Z&sort=updated&direction=asc").json()
    assert [issue["number"] for issue in since] == [1, 5, 6, 7]  # updated_at >= since
    labelled = get(f"{url}&labels=incident").json()
    assert {issue["number"] for issue in labelled} == {6, 7}
    assert get(f"{url}&since=yesterday").status == 422


def test_children_and_other_lists(github):
    reviews = get(f"{github.url}{REPO}/pulls/1/reviews").json()
    assert [review["id"] for review in reviews] == [1, 2]  # chronological
    assert get(f"{github.url}{REPO}/pulls/2/reviews").json() == []
    assert len(get(f"{github.url}{REPO}/pulls/1/commits").json()) == 2
    assert [r["tag_name"] for r in get(f"{github.url}{REPO}/releases").json()] == ["v1.0.0"]
    deployments = get(f"{github.url}{REPO}/deployments").json()
    assert [deployment["id"] for deployment in deployments] == [12, 11]  # newest first
    production = get(f"{github.url}{REPO}/deployments?environment=production").json()
    assert [deployment["id"] for deployment in production] == [11]
    statuses = get(f"{github.url}{REPO}/deployments/11/statuses").json()
    assert [status["id"] for status in statuses] == [112, 111]
    assert get(f"{github.url}{REPO}/deployments/12/statuses").json() == []
    runs = get(f"{github.url}{REPO}/actions/runs?per_page=2").json()
    assert runs["total_count"] == 3
    assert [run["id"] for run in runs["workflow_runs"]] == [33, 32]
    recent = get(f"{github.url}{REPO}/actions/runs?created=>=2025-01-02&branch=main").json()
    assert [run["id"] for run in recent["workflow_runs"]] == [32]


@pytest.mark.parametrize(
    "path",
    [
        "/repos/octo/nothing/pulls",
        f"{REPO}/pulls/99/reviews",
        f"{REPO}/deployments/99/statuses",
        f"{REPO}/wiki",
        "/users/octo",
    ],
)
def test_unknown_things_are_404_in_github_shape(github, path):
    answer = get(f"{github.url}{path}")
    assert answer.status == 404
    assert answer.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


# --- ETags, rate limit, authentication ---------------------------------------------------------


def test_etag_gives_304_without_spending_the_budget(github):
    url = f"{github.url}{REPO}/releases"
    first = get(url)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    remaining = int(first.headers["x-ratelimit-remaining"])
    again = get(url, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.headers["etag"] == etag
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    assert get(url, headers={"If-None-Match": 'W/"other"'}).status == 200
    # ETags follow the content: a change gives a new one and a full answer.
    with github.lock:
        release = github.world["repositories"]["octo/shop"]["releases"][0]
        release["name"] = "renamed"
    try:
        changed = get(url, headers={"If-None-Match": etag})
        assert changed.status == 200 and changed.headers["etag"] != etag
    finally:
        release.pop("name")
    assert [status for _, _, status in github.requests] == [200, 304, 200, 200]


def test_rate_limit_headers_count_and_refuse_when_spent():
    with LocalGitHub(small_world(), rate_limit=3, rate_limit_window_seconds=1.5) as github:
        url = f"{github.url}{REPO}/releases"
        answers = [get(url) for _ in range(3)]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
        assert [a.headers["x-ratelimit-used"] for a in answers] == ["1", "2", "3"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        assert {a.headers["x-ratelimit-resource"] for a in answers} == {"core"}
        refused = get(url)
        assert refused.status == 403 and refused.headers["x-ratelimit-remaining"] == "0"
        assert "rate limit exceeded" in refused.json()["message"]
        reset = int(refused.headers["x-ratelimit-reset"])
        # /rate_limit costs nothing and says the same.
        core = get(f"{github.url}/rate_limit").json()["resources"]["core"]
        assert (core["remaining"], core["reset"]) == (0, reset)
        time.sleep(max(0.0, reset - time.time()) + 0.1)
        assert get(url).headers["x-ratelimit-remaining"] == "2"  # a new window


def test_token_is_required_when_configured(github):
    url = f"{github.url}{REPO}/releases"
    for token in (None, "ghp_wrong"):
        answer = get(url, token=token)
        assert answer.status == 401
        assert answer.json()["message"] == "Bad credentials"
    assert get(url, token=None, headers={"Authorization": f"token {TOKEN}"}).status == 200
    assert TOKEN not in repr(github)
    with LocalGitHub(small_world()) as open_github:  # no token configured: anyone may read
        assert get(f"{open_github.url}{REPO}/releases", token=None).status == 200


# --- faults ------------------------------------------------------------------------------------


def test_rate_limit_and_server_faults(github):
    url = f"{github.url}{REPO}/releases"
    github.faults.add("secondary_limit", path_contains="/releases", retry_after=7)
    github.faults.add("too_many_requests", path_contains="/releases", retry_after=3)
    github.faults.add("server_error", path_contains="/releases", status=503)
    secondary = get(url)
    assert (secondary.status, secondary.headers["retry-after"]) == (403, "7")
    assert "secondary rate limit" in secondary.json()["message"]
    too_many = get(url)
    assert (too_many.status, too_many.headers["retry-after"]) == (429, "3")
    assert get(url).status == 503
    assert get(f"{github.url}{REPO}/deployments").status == 200
    assert get(url).status == 200  # each fault applied once


def test_primary_limit_fault_spends_the_budget_until_the_reset():
    with LocalGitHub(small_world()) as github:
        github.faults.add("primary_limit", retry_after=1)
        url = f"{github.url}{REPO}/releases"
        refused = get(url)
        assert refused.status == 403 and refused.headers["x-ratelimit-remaining"] == "0"
        reset = int(refused.headers["x-ratelimit-reset"])
        assert reset - time.time() <= 2
        assert get(url).status == 403  # still spent
        time.sleep(max(0.0, reset - time.time()) + 0.1)
        assert get(url).status == 200


def test_disconnect_and_control_endpoint(github):
    control = f"{github.url}/_control/faults"
    created = get(control, method="POST", payload={"kind": "disconnect", "path_contains": "/pulls"})
    assert created.status == 201
    assert get(control).json()[0]["kind"] == "disconnect"
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        urllib.request.urlopen(f"{github.url}{REPO}/pulls", timeout=10)
    assert get(control, method="POST", payload={"kind": "earthquake"}).status == 400
    get(control, method="POST", payload={"kind": "server_error"})
    assert get(control, method="DELETE").status == 204
    assert get(control).json() == []
    assert get(f"{github.url}{REPO}/pulls").status == 200
    assert [(path, status) for _, path, status in github.requests] == [
        (f"{REPO}/pulls", 0),
        (f"{REPO}/pulls", 200),
    ]
    with pytest.raises(ValueError, match="unknown fault"):
        github.faults.add("earthquake")


# --- command line ------------------------------------------------------------------------------


def test_command_line_serves_a_world_file(tmp_path):
    world = tmp_path / "world.json"
    world.write_text(json.dumps(small_world()))
    with stand_in_from_command_line("demo.github", "--world", str(world)) as url:
        assert numbers(get(f"{url}{REPO}/pulls?state=all", token=None)) == [5, 4, 3, 2, 1]
