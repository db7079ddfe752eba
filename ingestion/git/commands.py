"""Running ``git`` against one repository, with failures that name the repository."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    """A repository that cannot be read; the message names it and says what git said."""


def git_command(repository: Path, *args: str) -> list[str]:
    """The argument list of ``git -C <repository> <args>`` with output that parses the same
    everywhere: no pager, no colour, no quoted paths."""
    return ["git", "-C", str(repository), "-c", "core.quotepath=off", "--no-pager", *args]


def run_git(repository: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    """Standard output of one ``git`` command; a failure raises :class:`GitError` unless
    ``check`` is false (then the output is empty)."""
    result = subprocess.run(
        git_command(repository, *args), input=stdin, capture_output=True, check=False
    )
    if result.returncode != 0:
        if not check:
            return b""
        message = result.stderr.decode(errors="replace").strip()
        raise GitError(f"{repository}: git {args[0]} failed: {message}")
    return result.stdout


def git_lines(repository: Path, *args: str, stdin: bytes | None = None) -> list[str]:
    """Non-empty output lines of one ``git`` command."""
    output = run_git(repository, *args, stdin=stdin).decode(errors="replace")
    return [line for line in output.splitlines() if line]


def revision_input(include: list[str], exclude: list[str]) -> bytes:
    """``--stdin`` input for ``git rev-list``/``git log``: every ``include`` revision, none
    reachable from an ``exclude`` one (no command-line length limit on either list)."""
    lines = [*include, *(f"^{sha}" for sha in exclude)]
    return "".join(f"{line}\n" for line in lines).encode()
