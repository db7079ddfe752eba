"""Which repositories to read: configured paths (``name=path``) and folders of repositories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingestion.git.commands import GitError, run_git

FIX_REPOSITORIES = (
    "; set SOURCES__GIT__REPOSITORIES to paths of git clones (or name=path), e.g. "
    '\'["~/src/app", "docs=~/src/docs"]\''
)
FIX_ROOTS = "; set SOURCES__GIT__REPOSITORY_ROOTS to folders whose sub-folders are git clones"


@dataclass(frozen=True)
class Repository:
    """One local repository and the name its rows carry in ``raw_git``."""

    name: str
    path: Path


def parse_repository(entry: str) -> tuple[str, Path]:
    """``name=path`` or a bare ``path`` (named after its folder) as ``(name, resolved path)``.

    A name holds no ``/``, so a bare path that contains ``=`` stays a path.
    """
    name, separator, path = entry.partition("=")
    if not separator or "/" in name:
        name, separator, path = "", "", entry
    resolved = Path(path).expanduser().resolve()
    return (name or resolved.name), resolved


def looks_like_repository(path: Path) -> bool:
    """A work tree (``.git`` folder or file) or a bare repository (``HEAD`` and ``objects``)."""
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def check_repository(path: Path) -> None:
    """Raise :class:`GitError` naming ``path`` unless git can read a repository there."""
    if not path.is_dir():
        raise GitError(f"{path}: not a git repository (no such folder){FIX_REPOSITORIES}")
    if not looks_like_repository(path):
        raise GitError(f"{path}: not a git repository (no .git found){FIX_REPOSITORIES}")
    run_git(path, "rev-parse", "--git-dir")


def repositories_under(root: Path) -> list[Repository]:
    """Every immediate sub-folder of ``root`` that is a git repository, named after its folder."""
    if not root.is_dir():
        raise GitError(f"{root}: repository root folder does not exist{FIX_ROOTS}")
    return [
        Repository(child.name, child)
        for child in sorted(root.iterdir())
        if child.is_dir() and looks_like_repository(child)
    ]


def configured_repositories(
    repositories: Sequence[str], repository_roots: Sequence[str] = ()
) -> list[Repository]:
    """The configured repositories, then those found under the roots; names must be unique."""
    found = [Repository(*parse_repository(entry)) for entry in repositories]
    for root in repository_roots:
        found.extend(repositories_under(Path(root).expanduser().resolve()))
    seen: dict[str, Path] = {}
    for repository in found:
        if repository.name in seen:
            raise GitError(
                f"two repositories are named {repository.name!r}: {seen[repository.name]} and "
                f"{repository.path}; name one of them with name=path"
            )
        seen[repository.name] = repository.path
    return found
