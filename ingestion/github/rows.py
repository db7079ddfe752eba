"""The columns of each ``raw_github`` table and the map steps that shape GitHub objects to them.

GitHub objects carry dozens of fields and nested objects (a pull request holds two repository
objects); each table keeps the few the models use. A field is named as dlt names the column, with
``__`` between nesting levels (``user__login``); :func:`shape` builds the nested dict that dlt
flattens back into exactly these columns. Missing objects (a deleted user is ``null``) give null
columns. Every column is declared with its type (:func:`column_hints`), so a column that is
null in every row of a load still exists in the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dlt.common.schema.typing import TColumnSchema, TDataType

Row = dict[str, Any]

PULL_REQUESTS: dict[str, TDataType] = {
    "repository": "text",
    "id": "bigint",
    "number": "bigint",
    "title": "text",
    "state": "text",
    "draft": "bool",
    "user__login": "text",
    "user__type": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "closed_at": "timestamp",
    "merged_at": "timestamp",
    "merge_commit_sha": "text",
    "head__ref": "text",
    "head__sha": "text",
    "base__ref": "text",
    "html_url": "text",
}
PULL_REQUEST_REVIEWS: dict[str, TDataType] = {
    "repository": "text",
    "pull_request_number": "bigint",
    "id": "bigint",
    "user__login": "text",
    "user__type": "text",
    "state": "text",
    "submitted_at": "timestamp",
    "commit_id": "text",
}
PULL_REQUEST_COMMITS: dict[str, TDataType] = {
    "repository": "text",
    "pull_request_number": "bigint",
    "sha": "text",
    "author__login": "text",
    "commit__author__name": "text",
    "commit__author__email": "text",
    "commit__author__date": "timestamp",
    "commit__committer__date": "timestamp",
}
ISSUES: dict[str, TDataType] = {
    "repository": "text",
    "id": "bigint",
    "number": "bigint",
    "title": "text",
    "state": "text",
    "user__login": "text",
    "user__type": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "closed_at": "timestamp",
    "is_pull_request": "bool",
    "label_names": "text",
}
LABEL_SEPARATOR = "\n"
"""Between the label names in ``issues.label_names`` (GitHub label names hold no line breaks)."""
RELEASES: dict[str, TDataType] = {
    "repository": "text",
    "id": "bigint",
    "tag_name": "text",
    "name": "text",
    "target_commitish": "text",
    "draft": "bool",
    "prerelease": "bool",
    "created_at": "timestamp",
    "published_at": "timestamp",
    "author__login": "text",
}
DEPLOYMENTS: dict[str, TDataType] = {
    "repository": "text",
    "id": "bigint",
    "sha": "text",
    "ref": "text",
    "task": "text",
    "environment": "text",
    "production_environment": "bool",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "creator__login": "text",
}
DEPLOYMENT_STATUSES: dict[str, TDataType] = {
    "repository": "text",
    "deployment_id": "bigint",
    "id": "bigint",
    "state": "text",
    "environment": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}
WORKFLOW_RUNS: dict[str, TDataType] = {
    "repository": "text",
    "id": "bigint",
    "name": "text",
    "display_title": "text",
    "event": "text",
    "status": "text",
    "conclusion": "text",
    "head_branch": "text",
    "head_sha": "text",
    "run_number": "bigint",
    "run_attempt": "bigint",
    "workflow_id": "bigint",
    "path": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "run_started_at": "timestamp",
    "actor__login": "text",
}

CONTEXT_FIELDS = ("repository", "pull_request_number", "deployment_id")
"""Fields the source sets on each object before the map step: which repository (and pull request
or deployment) an object was read for. GitHub objects have no such fields, except workflow runs,
whose ``repository`` object is replaced by the full name."""


def with_context(items: list[Row], **context: Any) -> list[Row]:
    """``items`` with the :data:`CONTEXT_FIELDS` given set on each (changed in place)."""
    for item in items:
        item.update(context)
    return items


def column_hints(columns: Mapping[str, TDataType]) -> dict[str, TColumnSchema]:
    """dlt column hints declaring every column with its type."""
    return {name: {"name": name, "data_type": kind} for name, kind in columns.items()}


def _value(item: Mapping[str, Any], column: str) -> Any:
    value: Any = item
    for part in column.split("__"):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def shape(item: Mapping[str, Any], columns: Mapping[str, TDataType]) -> Row:
    """The nested dict holding exactly ``columns`` of ``item`` (dlt flattens it back)."""
    row: Row = {}
    for column in columns:
        *parents, leaf = column.split("__")
        target = row
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _value(item, column)
    return row


def shaper(columns: Mapping[str, TDataType]) -> Callable[[Mapping[str, Any]], Row]:
    """A map step shaping objects to ``columns``."""

    def shape_item(item: Mapping[str, Any]) -> Row:
        return shape(item, columns)

    return shape_item


def shape_issue(item: Mapping[str, Any]) -> Row:
    """An issue (or the issue side of a pull request) with its label names in one column, sorted
    and separated by :data:`LABEL_SEPARATOR` (null without labels). A column rather than a
    nested table: an issue's labels are replaced together with the issue when it is merged."""
    names = sorted(
        str(label["name"])
        for label in item.get("labels") or []
        if isinstance(label, dict) and label.get("name")
    )
    return shape(
        {
            **item,
            "is_pull_request": "pull_request" in item,
            "label_names": LABEL_SEPARATOR.join(names) or None,
        },
        ISSUES,
    )
