"""Git histories written with one ``git fast-import`` stream: fixed identities, dates and time
zones give the same commit SHAs on every machine.

:class:`FastImport` feeds a running ``git fast-import`` command by command (commits, branch
resets, tags) and can ask it for the SHA of a commit already written (``get-mark``), e.g. for a
revert message that names the reverted commit. Both the demo repository (:mod:`demo.webshop`) and
the benchmarks' large history (:mod:`demo.synthetic_history`) are written with it. git runs
without user or system configuration, so nothing on the machine changes what it writes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

Signature = bytes
"""``Name <email> <epoch seconds> <+hhmm>``, as fast-import's raw date format wants it."""


def git_environment() -> dict[str, str]:
    """The environment for git: no user or system configuration, no inherited repository."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")
    }
    environment.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    return environment


def git(repository: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in ``repository`` and return its output."""
    result = subprocess.run(
        ["git", "-C", str(repository), *args],
        env=git_environment(),
        input=stdin,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.decode().strip()}")
    return result.stdout.decode()


def signature(name: str, email: str, epoch_seconds: int, offset_minutes: int) -> Signature:
    """An author, committer or tagger line's value: who, when, in which time zone."""
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{name} <{email}> {epoch_seconds} {sign}{hours:02d}{minutes:02d}".encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


class FastImport:
    """A ``git fast-import`` process writing into ``repository`` (an existing one), fed one
    command at a time; :meth:`finish` ends the stream and returns the SHA of every commit mark.
    Used as a context manager, it stops the process if the block fails."""

    def __init__(self, repository: Path) -> None:
        self._resources = contextlib.ExitStack()
        folder = self._resources.enter_context(tempfile.TemporaryDirectory(prefix="fast-import-"))
        self._marks = Path(folder) / "marks"
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (the exit stack closes it)
        self._errors = self._resources.enter_context(errors)
        read_end, write_end = os.pipe()
        self._process = subprocess.Popen(
            ["git", "-C", str(repository), "fast-import", "--quiet", "--date-format=raw",
             f"--export-marks={self._marks}", f"--cat-blob-fd={write_end}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            pass_fds=(write_end,),
            env=git_environment(),
        )  # fmt: skip
        os.close(write_end)
        self._answers = self._resources.enter_context(os.fdopen(read_end, "rb"))
        assert self._process.stdin is not None
        self._stream: IO[bytes] = self._process.stdin
        self._write(b"feature done\n")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process.returncode is None:
            self._process.kill()
            self._process.wait()
            with contextlib.suppress(OSError):
                self._stream.close()
        self._resources.close()

    def commit(
        self,
        ref: str,
        mark: int,
        author: Signature,
        committer: Signature,
        message: bytes,
        parents: Sequence[int] = (),
        files: Iterable[tuple[str, bytes | None]] = (),
    ) -> None:
        """Commit ``mark`` on ``ref``: its first parent (``from``), further ones (``merge``) and
        the files it changes, in order (content ``None``: deleted)."""
        parts = [
            b"commit %s\n" % ref.encode(),
            b"mark :%d\n" % mark,
            b"author " + author + b"\n",
            b"committer " + committer + b"\n",
            _data(message),
        ]
        for index, parent in enumerate(parents):
            parts.append(b"%s :%d\n" % (b"merge" if index else b"from", parent))
        for path, content in files:
            if content is None:
                parts.append(b"D %s\n" % path.encode())
            else:
                parts.append(b"M 100644 inline %s\n" % path.encode() + _data(content))
        parts.append(b"\n")
        self._write(b"".join(parts))

    def reset(self, ref: str, mark: int) -> None:
        """Point ``ref`` (a branch, a lightweight tag) at commit ``mark``."""
        self._write(b"reset %s\nfrom :%d\n\n" % (ref.encode(), mark))

    def tag(self, name: str, mark: int, tagger: Signature, message: bytes) -> None:
        """An annotated tag ``name`` on commit ``mark``."""
        self._write(
            b"tag %s\nfrom :%d\ntagger %s\n" % (name.encode(), mark, tagger) + _data(message)
        )

    def sha_of(self, mark: int) -> str:
        """The SHA of commit ``mark``, written earlier in the stream."""
        self._write(b"get-mark :%d\n" % mark)
        self._stream.flush()
        answer = self._answers.readline().decode().strip()
        if len(answer) != 40:
            raise RuntimeError(f"git fast-import: {self._error_text()}")
        return answer

    def finish(self) -> dict[int, str]:
        """End the stream, wait for git and return the SHA of every commit mark."""
        self._write(b"done\n")
        with contextlib.suppress(BrokenPipeError):
            self._stream.close()
        if self._process.wait() != 0:
            raise RuntimeError(f"git fast-import failed: {self._error_text()}")
        marks = {}
        for line in self._marks.read_text().splitlines():
            mark, sha = line.split()
            marks[int(mark.removeprefix(":"))] = sha
        return marks

    def _write(self, command: bytes) -> None:
        try:
            self._stream.write(command)
        except BrokenPipeError:  # git stopped: say why
            code = self._process.wait()
            raise RuntimeError(f"git fast-import failed ({code}): {self._error_text()}") from None

    def _error_text(self) -> str:
        self._errors.seek(0)
        return self._errors.read().decode(errors="replace")
