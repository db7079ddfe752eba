"""The demo world's pull requests, their reviews and commits, and its issues, as GitHub's REST
API returns them (labels, users, author associations)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from demo.webshop import API_URL, FULL_NAME, HTML_URL, OWNER
from demo.webshop.files import AREAS
from demo.webshop.model import Commit, Plan, PullRequest
from demo.webshop.people import WEB_FLOW, Person
from demo.webshop.timeline import NOW, iso

LABELS = {
    "bug": ("d73a4a", "Something isn't working"),
    "enhancement": ("a2eeef", "New feature or request"),
    "tech-debt": ("fbca04", "Cleanup and refactoring"),
    "incident": ("b60205", "Production incident"),
    "dependencies": ("0366d6", "Pull requests that update a dependency file"),
    "python": ("2b67c6", "Pull requests that update Python code"),
    **{f"area:{area}": ("c5def5", f"The {area} area") for area in AREAS},
}
WEB_FLOW_USER = {"login": "web-flow", "id": 19864447, "type": "User", "site_admin": False}


def labels_json(names: Sequence[str]) -> list[dict[str, Any]]:
    """GitHub's label objects of ``names``."""
    return [
        {
            "id": 7_100_000_000 + sorted(LABELS).index(name),
            "name": name,
            "color": LABELS[name][0],
            "description": LABELS[name][1],
            "default": name in ("bug", "enhancement"),
        }
        for name in names
    ]


def association(person: Person) -> str:
    """GitHub's ``author_association`` of a person: bots are outsiders."""
    return "NONE" if person.is_bot else "MEMBER"


def pull_json(pull: PullRequest) -> dict[str, Any]:
    """A pull request as ``GET /pulls`` returns it."""
    assert pull.tip is not None and pull.base_commit is not None
    number = pull.number
    return {
        "url": f"{API_URL}/pulls/{number}",
        "id": 2_100_000_000 + number * 1009,
        "html_url": f"{HTML_URL}/pull/{number}",
        "number": number,
        "state": "open" if pull.outcome == "open" else "closed",
        "locked": False,
        "title": pull.title,
        "user": pull.author.user(),
        "labels": labels_json(pull.labels),
        "draft": pull.draft,
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": iso(pull.ended_at),
        "merged_at": iso(pull.ended_at) if pull.merged else None,
        "merge_commit_sha": pull.merge_commit.sha if pull.merge_commit is not None else None,
        "head": {
            "label": f"{OWNER}:{pull.branch}",
            "ref": pull.branch,
            "sha": pull.tip.sha,
            "repo": {"full_name": FULL_NAME},
        },
        "base": {
            "label": f"{OWNER}:main",
            "ref": "main",
            "sha": pull.base_commit.sha,
            "repo": {"full_name": FULL_NAME},
        },
        "author_association": association(pull.author),
    }


def pull_issue_json(pull: PullRequest) -> dict[str, Any]:
    """A pull request as ``GET /issues`` lists it (with its ``pull_request`` key)."""
    number = pull.number
    return {
        "url": f"{API_URL}/issues/{number}",
        "id": 2_600_000_000 + number * 997,
        "html_url": f"{HTML_URL}/pull/{number}",
        "number": number,
        "title": pull.title,
        "user": pull.author.user(),
        "labels": labels_json(pull.labels),
        "state": "open" if pull.outcome == "open" else "closed",
        "locked": False,
        "comments": len([r for r in pull.reviews if r.state == "COMMENTED"]),
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": iso(pull.ended_at),
        "author_association": association(pull.author),
        "draft": pull.draft,
        "pull_request": {
            "url": f"{API_URL}/pulls/{number}",
            "html_url": f"{HTML_URL}/pull/{number}",
            "diff_url": f"{HTML_URL}/pull/{number}.diff",
            "patch_url": f"{HTML_URL}/pull/{number}.patch",
            "merged_at": iso(pull.ended_at) if pull.merged else None,
        },
        "state_reason": None if pull.outcome == "open" else "completed",
    }


def issue_json(
    number: int,
    title: str,
    author: Person,
    labels: Sequence[str],
    created: datetime,
    closed: datetime | None,
    reason: str | None,
    comments: int,
) -> dict[str, Any]:
    """An issue as ``GET /issues`` returns it."""
    return {
        "url": f"{API_URL}/issues/{number}",
        "id": 2_600_000_000 + number * 997,
        "html_url": f"{HTML_URL}/issues/{number}",
        "number": number,
        "title": title,
        "user": author.user(),
        "labels": labels_json(labels),
        "state": "closed" if closed else "open",
        "locked": False,
        "comments": comments,
        "created_at": iso(created),
        "updated_at": iso(closed or min(NOW, created + timedelta(minutes=17 * (comments + 1)))),
        "closed_at": iso(closed),
        "author_association": association(author),
        "state_reason": reason,
    }


def pull_commit_json(commit: Commit) -> dict[str, Any]:
    """A commit as ``GET /pulls/{number}/commits`` returns it."""
    web_flow = commit.committer == WEB_FLOW
    return {
        "sha": commit.sha,
        "url": f"{API_URL}/commits/{commit.sha}",
        "html_url": f"{HTML_URL}/commit/{commit.sha}",
        "commit": {
            "author": {
                "name": commit.author[0],
                "email": commit.author[1],
                "date": iso(commit.authored_at),
            },
            "committer": {
                "name": commit.committer[0],
                "email": commit.committer[1],
                "date": iso(commit.committed_at),
            },
            "message": commit.full_message,
        },
        "author": commit.author_person.user(),
        "committer": WEB_FLOW_USER if web_flow else commit.author_person.user(),
        "parents": [{"sha": parent.sha} for parent in commit.parents],
    }


def reviews_json(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """The reviews of every pull request, by pull request number, each on the commit that was
    the head when it was submitted."""
    everything = [(review, pull) for pull in plan.pulls for review in pull.reviews]
    everything.sort(key=lambda item: (item[0].submitted_at, item[1].number))
    reviews: dict[str, list[dict[str, Any]]] = {}
    for index, (review, pull) in enumerate(everything):
        review_id = 2_400_000_000 + index * 3
        visible = [
            c
            for c in pull.commits
            if c.visible_at is not None and c.visible_at <= review.submitted_at
        ]
        assert visible and visible[-1].commit is not None, pull.title
        reviews.setdefault(str(pull.number), []).append(
            {
                "id": review_id,
                "user": review.reviewer.user(),
                "body": review.body,
                "state": review.state,
                "html_url": f"{HTML_URL}/pull/{pull.number}#pullrequestreview-{review_id}",
                "pull_request_url": f"{API_URL}/pulls/{pull.number}",
                "author_association": association(review.reviewer),
                "submitted_at": iso(review.submitted_at),
                "commit_id": visible[-1].commit.sha,
            }
        )
    return reviews
