"""A large deterministic git history for the benchmarks, written with ``git fast-import``
(:mod:`demo.history`, as the demo repository is).

Mainline commits and short feature branches merged with merge commits, text files in nested
folders that grow, shrink, appear and disappear, a few binary files, several dozen authors (some
with two emails tied together by a ``.mailmap``, some bots), messages with bodies, and an
annotated release tag every few hundred mainline commits. The same seed gives the same
repository, commit for commit.

``python -m demo.synthetic_history <folder> [--commits N]``
"""

from __future__ import annotations

import argparse
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from demo.history import FastImport, git, signature

START_EPOCH = 1_546_300_800  # 2019-01-01T00:00:00Z
REMOTE_URL = "https://github.com/tributary-bench/history.git"
WORDS = tuple(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "order",
        "price",
        "candle",
        "stream",
        "window",
        "merge",
        "parse",
        "cache",
        "index",
        "query",
        "batch",
        "retry",
        "token",
        "state",
        "commit",
        "branch",
        "buffer",
        "limit",
        "value",
        "vector",
        "schema",
        "table",
        "column",
    ]
)
TOPICS = ("fix", "feat", "refactor", "docs", "test", "perf", "chore")
BOTS = (
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
    ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
)


@dataclass
class Author:
    name: str
    email: str
    old_email: str | None
    offset_minutes: int


@dataclass
class Branch:
    """A line of work: its tip mark and the contents of the files it changed."""

    name: str
    tip: int
    files: dict[str, list[str]] = field(default_factory=dict)
    commits_left: int = 0


def _payload(content: list[str] | bytes | None) -> bytes | None:
    """A file's bytes from its lines (binary files come as bytes; None: deleted)."""
    if content is None or isinstance(content, bytes):
        return content
    return "".join(content).encode()


class HistoryWriter:
    """Writes ``commits`` commits from ``seed`` into a fast-import ``stream``."""

    def __init__(self, stream: FastImport, commits: int, seed: int) -> None:
        self.stream = stream
        self.random = random.Random(seed)
        self.commits = commits
        self.written = 0
        self.mark = 0
        self.clock = START_EPOCH
        self.files: dict[str, list[str]] = {}
        self.binaries: set[str] = set()
        offsets = (0, 60, 120, -300, -480, 330, 540)
        self.authors = [
            Author(
                f"Developer {index:02d}",
                f"dev{index:02d}@example.com",
                f"dev{index:02d}@old-laptop.local" if index % 5 == 0 else None,
                offsets[index % len(offsets)],
            )
            for index in range(40)
        ]
        self.mainline = 0
        self.merged: list[str] = []

    # -- content ---------------------------------------------------------------------------
    def _line(self) -> str:
        words = self.random.choices(WORDS, k=self.random.randint(3, 9))
        return "    " + " ".join(words) + "\n"

    def _new_path(self) -> str:
        top = self.random.choice(("src", "src", "src", "tests", "docs", "lib"))
        module, number = self.random.randrange(60), self.random.randrange(10**6)
        return f"{top}/module_{module:02d}/file_{number:06d}.py"

    def _edit(self, lines: list[str]) -> list[str]:
        lines = list(lines)
        for _ in range(self.random.randint(1, 4)):
            position = self.random.randint(0, len(lines))
            removed = self.random.randint(0, min(3, len(lines) - position))
            lines[position : position + removed] = [
                self._line() for _ in range(self.random.randint(0, 5))
            ]
        return lines or [self._line()]

    # -- fast-import -----------------------------------------------------------------------
    def _message(self, subject: str) -> bytes:
        if self.random.random() < 0.3:
            body = "".join(self._line().strip() + "\n" for _ in range(self.random.randint(1, 4)))
            return f"{subject}\n\n{body}".encode()
        return f"{subject}\n".encode()

    def _commit(
        self,
        branch: Branch,
        changes: dict[str, list[str] | bytes | None],
        subject: str,
        merge: int | None = None,
        bot: bool = False,
    ) -> int:
        self.mark += 1
        self.clock += self.random.randint(120, 3600)
        if bot:
            name, email, offset = *self.random.choice(BOTS), 0
        else:
            author = self.random.choice(self.authors)
            email = author.old_email if author.old_email and self.random.random() < 0.3 else None
            name, email, offset = author.name, email or author.email, author.offset_minutes
        committed = self.clock + self.random.randint(0, 600)
        files = [(path, _payload(content)) for path, content in changes.items()]
        self.stream.commit(
            f"refs/heads/{branch.name}",
            self.mark,
            signature(name, email, self.clock, offset),
            signature(name, email, committed, offset),
            self._message(subject),
            [parent for parent in (branch.tip, merge) if parent],
            files,
        )
        branch.tip = self.mark
        self.written += 1
        return self.mark

    def _changes(self, branch: Branch, base: dict[str, list[str]]) -> dict:
        """1-4 edited files, sometimes a new, deleted or binary file."""
        changes: dict[str, list[str] | bytes | None] = {}
        paths = list(base)
        for path in self.random.sample(paths, k=min(len(paths), self.random.randint(1, 4))):
            current = branch.files.get(path, base[path])
            changes[path] = branch.files[path] = self._edit(current)
        roll = self.random.random()
        if roll < 0.15 or len(base) < 50:
            path = self._new_path()
            changes[path] = branch.files[path] = [
                self._line() for _ in range(self.random.randint(5, 60))
            ]
        elif roll < 0.18 and len(base) > 200:
            path = self.random.choice(paths)
            if path not in branch.files:
                changes[path] = None
        elif roll < 0.19:
            path = f"assets/image_{self.random.randrange(500):03d}.bin"
            changes[path] = self.random.randbytes(self.random.randint(64, 512)) + b"\0"
            self.binaries.add(path)
        return changes

    def _apply(self, changes: dict) -> None:
        for path, content in changes.items():
            if content is None:
                self.files.pop(path, None)
            elif not isinstance(content, bytes):
                self.files[path] = content

    def _subject(self) -> str:
        words = " ".join(self.random.choices(WORDS, k=self.random.randint(2, 6)))
        return f"{self.random.choice(TOPICS)}: {words}"

    def write(self) -> None:
        main = Branch("main", 0)
        mailmap = "".join(
            f"{a.name} <{a.email}> <{a.old_email}>\n" for a in self.authors if a.old_email
        )
        self._commit(main, {".mailmap": [mailmap]}, "chore: add .mailmap")
        open_branches: list[Branch] = []
        feature = 0
        while self.written < self.commits:
            roll = self.random.random()
            if open_branches and roll < 0.45:
                branch = self.random.choice(open_branches)
                if branch.commits_left == 0:
                    open_branches.remove(branch)
                    self.merged.append(branch.name)
                    self._apply(branch.files)
                    self._commit(
                        main, dict(branch.files), f"Merge branch '{branch.name}'", branch.tip
                    )
                    self._after_mainline_commit(main.tip)
                    continue
                changes = self._changes(branch, self.files)
                self._commit(branch, changes, self._subject())
                branch.commits_left -= 1
            elif len(open_branches) < 3 and roll < 0.6:
                feature += 1
                open_branches.append(
                    Branch(
                        f"feature/{feature:05d}", main.tip, commits_left=self.random.randint(1, 6)
                    )
                )
            else:
                bot = self.random.random() < 0.03
                changes = self._changes(Branch("scratch", 0), self.files)
                changes = {path: value for path, value in changes.items()}
                self._apply(changes)
                self._commit(main, changes, self._subject(), bot=bot)
                self._after_mainline_commit(main.tip)

    def _after_mainline_commit(self, mark: int) -> None:
        self.mainline += 1
        if self.mainline % 400 == 0:
            version = f"v1.{self.mainline // 400}.0"
            tagger = signature("Release Bot", "release@example.com", self.clock + 60, 0)
            self.stream.tag(version, mark, tagger, f"Release {version}\n".encode())


def generate(folder: Path, commits: int = 50_000, seed: int = 4) -> Path:
    """Create the bare repository ``folder`` (kept if it already holds ``commits`` commits)."""
    marker = folder / "tributary-history.txt"
    expected = f"commits={commits} seed={seed}\n"
    if marker.is_file() and marker.read_text() == expected:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    git(folder, "init", "-q", "--bare", "-b", "main")
    with FastImport(folder) as stream:
        writer = HistoryWriter(stream, commits, seed)
        writer.write()
        stream.finish()
    # Merged feature branches are deleted, as on a hosted repository; open ones stay.
    deletions = "".join(f"delete refs/heads/{name}\n" for name in writer.merged)
    git(folder, "update-ref", "--stdin", stdin=deletions.encode())
    git(folder, "config", "remote.origin.url", REMOTE_URL)
    git(folder, "gc", "--quiet")
    marker.write_text(expected)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    print(generate(args.folder, args.commits, args.seed))


if __name__ == "__main__":
    main()
