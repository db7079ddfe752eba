"""Branches, tags and HEAD of a repository, read with ``git for-each-ref`` and friends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingestion.git.commands import run_git

REF_FIELDS = [
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail)",
    "%(taggerdate:iso-strict)",
    "%(contents:subject)",
]
REF_FORMAT = "%1e" + "%1f".join(REF_FIELDS)

GITHUB_URL = re.compile(
    r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?github\.com(?::\d+)?/|[^@/:]+@github\.com:/?)"
    r"(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Tag:
    name: str
    commit_sha: str | None
    """The commit the tag finally points at (null for a tag of a tree or blob)."""
    tag_object_sha: str | None
    tagger_name: str | None
    tagger_email: str | None
    tagged_at: datetime | None
    subject: str | None

    @property
    def is_annotated(self) -> bool:
        return self.tag_object_sha is not None


@dataclass(frozen=True)
class RefSnapshot:
    """Where HEAD, every branch and every tag of a repository point right now."""

    default_branch: str | None
    head_sha: str | None
    remote_url: str | None
    branches: dict[str, str]
    tags: list[Tag]

    @property
    def tips(self) -> list[str]:
        """Commits from which the whole history to read is reachable."""
        shas = set(self.branches.values()) | {t.commit_sha for t in self.tags if t.commit_sha}
        if self.head_sha:
            shas.add(self.head_sha)
        return sorted(shas)

    @property
    def default_head(self) -> str | None:
        """The commit the default branch points at (null when HEAD is detached or unborn)."""
        return self.branches.get(self.default_branch) if self.default_branch else None


def github_full_name(remote_url: str | None) -> str | None:
    """``owner/repo`` of a github.com remote (https, ssh or scp-like URL), else null."""
    if not remote_url:
        return None
    match = GITHUB_URL.match(remote_url.strip())
    return f"{match['owner']}/{match['repo']}" if match else None


def _text(value: bytes) -> str:
    return value.decode(errors="replace").strip()


def _tagger_email(value: str) -> str | None:
    return value.strip().removeprefix("<").removesuffix(">") or None


def read_refs(repository: Path) -> RefSnapshot:
    """HEAD, branches and tags; annotated tags are peeled to their commit."""
    symbolic = _text(run_git(repository, "symbolic-ref", "-q", "HEAD", check=False))
    head_sha = _text(
        run_git(repository, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
    )
    remote_url = _text(run_git(repository, "config", "--get", "remote.origin.url", check=False))
    output = run_git(
        repository, "for-each-ref", f"--format={REF_FORMAT}", "refs/heads", "refs/tags"
    ).decode(errors="replace")
    branches: dict[str, str] = {}
    tags: list[Tag] = []
    nested: list[int] = []
    for record in output.split("\x1e")[1:]:
        refname, kind, sha, target_kind, target, tagger, email, date, subject = record.rstrip(
            "\n"
        ).split("\x1f")
        if refname.startswith("refs/heads/"):
            if kind == "commit":
                branches[refname.removeprefix("refs/heads/")] = sha
            continue
        name = refname.removeprefix("refs/tags/")
        if kind != "tag":
            tags.append(Tag(name, sha if kind == "commit" else None, None, None, None, None, None))
            continue
        if target_kind == "tag":
            nested.append(len(tags))
        tags.append(
            Tag(
                name,
                target if target_kind == "commit" else None,
                sha,
                tagger or None,
                _tagger_email(email),
                datetime.fromisoformat(date) if date else None,
                subject,
            )
        )
    for index in nested:  # a tag of a tag: peel all the way down
        peeled = _text(
            run_git(
                repository, "rev-parse", "-q", "--verify", f"{tags[index].name}^{{commit}}",
                check=False,
            )
        )  # fmt: skip
        tag = tags[index]
        tags[index] = Tag(
            tag.name, peeled or None, tag.tag_object_sha, tag.tagger_name, tag.tagger_email,
            tag.tagged_at, tag.subject,
        )  # fmt: skip
    default_branch = symbolic.removeprefix("refs/heads/") if symbolic else None
    if default_branch not in branches:
        default_branch = None  # an unborn branch
    return RefSnapshot(default_branch, head_sha or None, remote_url or None, branches, tags)


def existing_commits(repository: Path, shas: list[str]) -> list[str]:
    """Those of ``shas`` that are still commits in the object database (old tips may be gone)."""
    if not shas:
        return []
    output = run_git(
        repository, "cat-file", "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{sha}\n" for sha in shas).encode(),
    ).decode()  # fmt: skip
    return [line.split()[0] for line in output.splitlines() if line.endswith(" commit")]
