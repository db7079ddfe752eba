"""Arrow rows of the per-repository snapshot tables: ``repositories``, ``tags``, ``branches``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingestion.git.log_reader import DELETED, TIMESTAMP
from ingestion.git.refs import RefSnapshot, github_full_name

REPOSITORIES_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("path", pa.string()),
        pa.field("default_branch", pa.string()),
        pa.field("head_sha", pa.string()),
        pa.field("remote_url", pa.string()),
        pa.field("github_full_name", pa.string()),
        pa.field("read_at", TIMESTAMP),
    ]
)
TAGS_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("tag_name", pa.string()),
        pa.field("commit_sha", pa.string()),
        pa.field("tag_object_sha", pa.string()),
        pa.field("is_annotated", pa.bool_()),
        pa.field("tagger_name", pa.string()),
        pa.field("tagger_email", pa.string()),
        pa.field("tagged_at", TIMESTAMP),
        pa.field("tag_subject", pa.string()),
        DELETED,
    ]
)
BRANCHES_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("branch_name", pa.string()),
        pa.field("commit_sha", pa.string()),
        pa.field("is_default", pa.bool_()),
        DELETED,
    ]
)


def repository_row(name: str, path: Path, refs: RefSnapshot) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "repository": name,
                "path": str(path),
                "default_branch": refs.default_branch,
                "head_sha": refs.head_sha,
                "remote_url": refs.remote_url,
                "github_full_name": github_full_name(refs.remote_url),
                "read_at": datetime.now(UTC),
            }
        ],
        schema=REPOSITORIES_SCHEMA,
    )


def _snapshot(name: str, rows: list[dict], schema: pa.Schema) -> pa.Table:
    """The rows plus one marker row flagged ``deleted``: the snapshot replaces every earlier row
    of the repository (merge key) even when it is empty, and the marker itself is not kept."""
    return pa.Table.from_pylist([*rows, {"repository": name, "deleted": True}], schema=schema)


def tag_rows(name: str, refs: RefSnapshot) -> pa.Table:
    rows = [
        {
            "repository": name,
            "tag_name": tag.name,
            "commit_sha": tag.commit_sha,
            "tag_object_sha": tag.tag_object_sha,
            "is_annotated": tag.is_annotated,
            "tagger_name": tag.tagger_name,
            "tagger_email": tag.tagger_email,
            "tagged_at": tag.tagged_at,
            "tag_subject": tag.subject,
        }
        for tag in refs.tags
    ]
    return _snapshot(name, rows, TAGS_SCHEMA)


def branch_rows(name: str, refs: RefSnapshot) -> pa.Table:
    rows = [
        {
            "repository": name,
            "branch_name": branch,
            "commit_sha": sha,
            "is_default": branch == refs.default_branch,
        }
        for branch, sha in sorted(refs.branches.items())
    ]
    return _snapshot(name, rows, BRANCHES_SCHEMA)
