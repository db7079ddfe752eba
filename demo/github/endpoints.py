"""What the local GitHub answers on each endpoint, computed from its world.

A world is ``{"now", "repositories": {"owner/repo": {"pulls", "reviews", "pull_commits",
"issues", "releases", "deployments", "deployment_statuses", "workflow_runs"}}}``, objects with
GitHub's field names; lists come filtered and ordered as GitHub filters and orders them, and
invalid parameters get GitHub's 422 answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.github.source import parse_time

DOCS_URL = "https://docs.github.com/rest"

World = dict[str, Any]


class GitHubApiError(Exception):
    """An error answer in GitHub's shape."""

    def __init__(self, status: int, message: str, documentation_url: str = DOCS_URL) -> None:
        super().__init__(message)
        self.status, self.message, self.documentation_url = status, message, documentation_url


def load_world(world: str | Path | Mapping[str, Any]) -> World:
    """A world from a JSON file or a mapping (deep-copied through JSON, so later changes to the
    caller's mapping do not leak in)."""
    if isinstance(world, (str, Path)):
        loaded = json.loads(Path(world).read_text())
    else:
        loaded = json.loads(json.dumps(world))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("repositories"), dict):
        raise ValueError('a GitHub world is a JSON object with a "repositories" object')
    return loaded


def _time_of(item: Mapping[str, Any], field: str) -> datetime:
    value = item.get(field)
    return parse_time(value) if value else datetime.min.replace(tzinfo=UTC)


def _sorted(items: Iterable[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Items ordered by a timestamp field, ties broken by id, as GitHub orders them."""
    return sorted(
        items, key=lambda item: (_time_of(item, field), item.get("id", 0)), reverse=descending
    )


def _direction(params: Mapping[str, str], default: str) -> bool:
    """True for descending."""
    direction = params.get("direction", default)
    if direction not in ("asc", "desc"):
        raise GitHubApiError(422, "Validation Failed: direction must be asc or desc")
    return direction == "desc"


def _state_filter(items: list[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    state = params.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise GitHubApiError(422, "Validation Failed: state must be open, closed or all")
    return items if state == "all" else [item for item in items if item.get("state") == state]


def _since(params: Mapping[str, str]) -> datetime | None:
    text = params.get("since")
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise GitHubApiError(422, f"Validation Failed: invalid since {text!r}") from None


_CREATED = re.compile(r"^(>=|<=|>|<)?([0-9TZ:+\-.]+)(?:\.\.([0-9TZ:+\-.]+))?$")


def _created_filter(value: str) -> Callable[[datetime], bool]:
    """GitHub's ``created`` search syntax: ``>=X``, ``<X``, ``X..Y`` or a day ``X``."""
    match = _CREATED.match(value.strip())
    if not match:
        raise GitHubApiError(422, f"Validation Failed: invalid created filter {value!r}")
    operator, first, last = match.groups()
    try:
        low = parse_time(first)
        high = parse_time(last) if last else None
    except ValueError:
        raise GitHubApiError(422, f"Validation Failed: invalid created filter {value!r}") from None
    if high is not None:
        return lambda moment: low <= moment <= high
    checks: dict[str | None, Callable[[datetime], bool]] = {
        ">=": lambda moment: moment >= low,
        "<=": lambda moment: moment <= low,
        ">": lambda moment: moment > low,
        "<": lambda moment: moment < low,
        None: lambda moment: moment.date() == low.date(),
    }
    return checks[operator]


def _repository(world: World, full_name: str) -> dict[str, Any]:
    repository = world["repositories"].get(full_name)
    if repository is None:
        raise GitHubApiError(404, "Not Found")
    return repository


def answer(world: World, path: str, params: Mapping[str, str]) -> tuple[Any, str | None]:
    """The JSON payload of ``GET path`` in ``world`` and, for lists, the key holding the page
    (``""`` for a top-level list, ``None`` for a single object)."""
    parts = [part for part in path.split("/") if part]
    if parts[:1] != ["repos"] or len(parts) < 3:
        raise GitHubApiError(404, "Not Found")
    full_name = f"{parts[1]}/{parts[2]}"
    repository = _repository(world, full_name)
    rest = parts[3:]
    if not rest:
        owner, name = full_name.split("/")
        return {
            "full_name": full_name,
            "name": name,
            "owner": {"login": owner},
            "default_branch": repository.get("default_branch", "main"),
        }, None
    if rest == ["pulls"]:
        return _pulls(repository, params), ""
    if len(rest) >= 2 and rest[0] == "pulls" and rest[1].isdigit():
        return _pull_part(repository, int(rest[1]), rest[2:])
    if rest == ["issues"]:
        return _issues(repository, params), ""
    if rest == ["releases"]:
        return _sorted(repository.get("releases", []), "created_at", True), ""
    if rest == ["deployments"]:
        return _deployments(repository, params), ""
    if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
        ids = {str(deployment["id"]) for deployment in repository.get("deployments", [])}
        if rest[1] not in ids:
            raise GitHubApiError(404, "Not Found")
        statuses = repository.get("deployment_statuses", {}).get(rest[1], [])
        return sorted(statuses, key=lambda status: status["id"], reverse=True), ""
    if rest == ["actions", "runs"]:
        return _workflow_runs(repository, params), "workflow_runs"
    raise GitHubApiError(404, "Not Found")


def _pulls(repository: Mapping[str, Any], params: Mapping[str, str]) -> list[dict[str, Any]]:
    pulls = _state_filter(list(repository.get("pulls", [])), params)
    sort = params.get("sort", "created")
    if sort not in ("created", "updated", "popularity", "long-running"):
        raise GitHubApiError(422, "Validation Failed: sort is not one of the allowed values")
    descending = _direction(params, "desc" if sort == "created" else "asc")
    if "base" in params:
        pulls = [pull for pull in pulls if pull.get("base", {}).get("ref") == params["base"]]
    field = "updated_at" if sort == "updated" else "created_at"
    return _sorted(pulls, field, descending)


def _pull_part(
    repository: Mapping[str, Any], number: int, rest: list[str]
) -> tuple[Any, str | None]:
    pull = next((p for p in repository.get("pulls", []) if p.get("number") == number), None)
    if pull is None:
        raise GitHubApiError(404, "Not Found")
    if not rest:
        return pull, None
    if rest == ["reviews"]:
        reviews = repository.get("reviews", {}).get(str(number), [])
        return _sorted(reviews, "submitted_at", False), ""
    if rest == ["commits"]:
        return list(repository.get("pull_commits", {}).get(str(number), []))[:250], ""
    raise GitHubApiError(404, "Not Found")


def _issues(repository: Mapping[str, Any], params: Mapping[str, str]) -> list[dict[str, Any]]:
    issues = _state_filter(list(repository.get("issues", [])), params)
    since = _since(params)
    if since is not None:
        issues = [issue for issue in issues if _time_of(issue, "updated_at") >= since]
    if params.get("labels"):
        wanted = {name.strip() for name in params["labels"].split(",") if name.strip()}
        issues = [
            issue
            for issue in issues
            if wanted <= {label.get("name") for label in issue.get("labels", [])}
        ]
    sort = params.get("sort", "created")
    if sort not in ("created", "updated", "comments"):
        raise GitHubApiError(422, "Validation Failed: sort is not one of the allowed values")
    field = "updated_at" if sort == "updated" else "created_at"
    return _sorted(issues, field, _direction(params, "desc"))


def _deployments(repository: Mapping[str, Any], params: Mapping[str, str]) -> list[dict[str, Any]]:
    deployments = list(repository.get("deployments", []))
    for field in ("sha", "ref", "task", "environment"):
        if field in params:
            deployments = [d for d in deployments if d.get(field) == params[field]]
    return sorted(deployments, key=lambda deployment: deployment["id"], reverse=True)


def _workflow_runs(
    repository: Mapping[str, Any], params: Mapping[str, str]
) -> list[dict[str, Any]]:
    runs = list(repository.get("workflow_runs", []))
    if params.get("created"):
        matches = _created_filter(params["created"])
        runs = [run for run in runs if matches(_time_of(run, "created_at"))]
    if "branch" in params:
        runs = [run for run in runs if run.get("head_branch") == params["branch"]]
    if "event" in params:
        runs = [run for run in runs if run.get("event") == params["event"]]
    if "head_sha" in params:
        runs = [run for run in runs if run.get("head_sha") == params["head_sha"]]
    if "status" in params:
        wanted = params["status"]
        runs = [run for run in runs if wanted in (run.get("status"), run.get("conclusion"))]
    return _sorted(runs, "created_at", True)
