"""The demo repository on disk: the simulated history written by one ``git fast-import`` stream
(:mod:`demo.history`), with its branches, pull request refs and tags, set up like a clone of its
GitHub remote with ``main`` checked out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from demo.history import FastImport, Signature, git, signature
from demo.webshop import GENERATOR_VERSION, REMOTE_URL, VERSION_CONFIG_KEY
from demo.webshop.model import Commit
from demo.webshop.simulation import History


def _signature(identity: tuple[str, str], moment: datetime, offset: int) -> Signature:
    return signature(*identity, int(moment.timestamp()), offset)


def _final_refs(history: History) -> list[tuple[str, Commit]]:
    """Branches, remote-tracking ``main`` and ``refs/pull/<n>/head`` of every pull request."""
    assert history.main_tip is not None
    refs = [
        ("refs/heads/main", history.main_tip),
        ("refs/remotes/origin/main", history.main_tip),
    ]
    for pull in sorted(history.plan.pulls, key=lambda p: p.number):
        assert pull.tip is not None
        refs.append((f"refs/pull/{pull.number}/head", pull.tip))
        if pull.keep_branch or pull.outcome == "open":
            refs.append((f"refs/heads/{pull.branch}", pull.tip))
    return refs


def write_history(repository: Path, history: History) -> dict[int, str]:
    """Write every commit, branch and tag; return the SHA of each commit mark. Revert messages
    name the reverted commit's SHA, asked of fast-import while the stream is written."""
    with FastImport(repository) as stream:
        for commit in history.commits:
            if commit.reverts is not None and not commit.reverts.sha:
                commit.reverts.sha = stream.sha_of(commit.reverts.mark)
            stream.commit(
                "refs/heads/main",
                commit.mark,
                _signature(commit.author, commit.authored_at, commit.author_offset),
                _signature(commit.committer, commit.committed_at, commit.committer_offset),
                commit.full_message.encode(),
                [parent.mark for parent in commit.parents],
                sorted(commit.files.items()),
            )
        for ref, target in _final_refs(history):
            stream.reset(ref, target.mark)
        for release in sorted(history.tags, key=lambda r: r.tagged_at):
            assert release.commit is not None
            if not release.annotated:
                stream.reset(f"refs/tags/{release.name}", release.commit.mark)
                continue
            tagger = release.tagger
            stream.tag(
                release.name,
                release.commit.mark,
                _signature(
                    tagger.identity, release.tagged_at, tagger.zone.offset(release.tagged_at)
                ),
                f"Release {release.name}\n".encode(),
            )
        return stream.finish()


def build_repository(path: Path, history: History) -> None:
    """A clone-like repository at ``path``: history, origin, ``main`` checked out."""
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    marks = write_history(path, history)
    for commit in history.commits:
        commit.sha = marks[commit.mark]
    git(path, "config", "remote.origin.url", REMOTE_URL)
    git(path, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
    git(path, "config", "branch.main.remote", "origin")
    git(path, "config", "branch.main.merge", "refs/heads/main")
    git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    git(path, "checkout", "--quiet", "--force", "main")
    git(path, "config", VERSION_CONFIG_KEY, str(GENERATOR_VERSION))
