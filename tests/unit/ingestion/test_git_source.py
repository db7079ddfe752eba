"""The git source against a small real repository built with ``git``, loaded by dlt into DuckDB.

The repository has fixed identities and dates, a root commit, a modification, a binary file, a
feature branch merged with ``--no-ff``, a commit reachable only from a tag, a subject with commas,
quotes and non-ASCII text, and file names with a space and with accents. Every expected value is
written out by hand from what the test committed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.git import GitError, git_source
from ingestion.git.log_reader import read_history
from ingestion.git.refs import read_refs
from ingestion.git.repositories import check_repository
from ingestion.git.source import parse_repository
from ingestion.warehouse import make_pipeline

pytestmark = pytest.mark.usefixtures("plain_git")

AUTHOR = ("Zoë Author", "zoe@example.org")
COMMITTER = ("Commit Bot", "bot@example.org")

ROOT = "root: add one.txt and a file with a space"
FIX = "fix: naïve “quotes”, commas, and 'single' \"double\" — ok"
BINARY = "add binary logo"
FEATURE = "feature: add feat.txt"
MAIN_TWEAK = "main: drop the last line of one.txt"
MERGE = "Merge branch 'feature'"
TAGGED = "release notes, only reachable from tag v1"

# subject -> (author date, committer date)
DATES = {
    ROOT: ("2025-01-02T10:00:00+02:00", "2025-01-02T11:00:00+02:00"),
    FIX: ("2025-01-03T09:30:00-05:00", "2025-01-03T10:15:00-05:00"),
    BINARY: ("2025-01-04T12:00:00+05:30", "2025-01-04T12:00:00+05:30"),
    FEATURE: ("2025-01-05T08:00:00+00:00", "2025-01-05T08:00:00+00:00"),
    MAIN_TWEAK: ("2025-01-06T23:59:59+01:00", "2025-01-07T00:00:01+01:00"),
    MERGE: ("2025-01-07T18:00:00+01:00", "2025-01-07T18:00:00+01:00"),
    TAGGED: ("2025-01-08T07:00:00-08:00", "2025-01-08T07:00:00-08:00"),
}

# (subject, file) -> (lines added, lines deleted, is binary)
FILE_CHANGES = {
    (ROOT, "one.txt"): (3, 0, False),
    (ROOT, "with space.txt"): (2, 0, False),
    (FIX, "one.txt"): (3, 1, False),
    (FIX, "docs/résumé.md"): (1, 0, False),
    (BINARY, "logo.bin"): (None, None, True),
    (FEATURE, "feat.txt"): (4, 0, False),
    (FEATURE, "with space.txt"): (1, 0, False),
    (MAIN_TWEAK, "one.txt"): (0, 1, False),
    # Against the first parent (main): the feature branch's changes, not main's own.
    (MERGE, "feat.txt"): (4, 0, False),
    (MERGE, "with space.txt"): (1, 0, False),
    (TAGGED, "notes.txt"): (1, 0, False),
}


def git(repo: Path, *args: str, dates: tuple[str, str] | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": COMMITTER[0],
        "GIT_COMMITTER_EMAIL": COMMITTER[1],
    }
    if dates is not None:
        env["GIT_AUTHOR_DATE"], env["GIT_COMMITTER_DATE"] = dates
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def commit(repo: Path, subject: str, files: dict[str, bytes]) -> str:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", subject, dates=DATES[subject])
    return git(repo, "rev-parse", "HEAD")


@dataclass
class Repo:
    path: Path
    shas: dict[str, str]
    """Commit sha of each subject."""


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Repo:
    path = tmp_path_factory.mktemp("demo")
    git(path, "init", "-q", "-b", "main")
    shas = {
        ROOT: commit(path, ROOT, {"one.txt": b"a\nb\nc\n", "with space.txt": b"x\ny\n"}),
        FIX: commit(
            path,
            FIX,
            {"one.txt": b"a\nB\nc\nd\ne\n", "docs/résumé.md": "# Résumé\n".encode()},
        ),
        BINARY: commit(path, BINARY, {"logo.bin": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00"}),
    }
    git(path, "checkout", "-q", "-b", "feature")
    shas[FEATURE] = commit(
        path, FEATURE, {"feat.txt": b"1\n2\n3\n4\n", "with space.txt": b"x\ny\nz\n"}
    )
    git(path, "checkout", "-q", "main")
    shas[MAIN_TWEAK] = commit(path, MAIN_TWEAK, {"one.txt": b"a\nB\nc\nd\n"})
    git(path, "merge", "-q", "--no-ff", "feature", "-m", MERGE, dates=DATES[MERGE])
    shas[MERGE] = git(path, "rev-parse", "HEAD")
    # A commit that no branch reaches, only a tag.
    git(path, "checkout", "-q", "--detach")
    shas[TAGGED] = commit(path, TAGGED, {"notes.txt": b"v1\n"})
    git(path, "tag", "v1")
    git(path, "checkout", "-q", "main")
    return Repo(path, shas)


def load(workdir: Path, repositories: list[str], pipeline: dlt.Pipeline | None = None):
    if pipeline is None:
        pipeline = make_pipeline(
            pipeline_name="git_test",
            destination=dlt.destinations.duckdb(str(workdir / "tributary.duckdb")),
            dataset_name="raw_git",
            pipelines_dir=str(workdir / "dlt"),
        )
    pipeline.run(git_source(repositories=repositories))
    return pipeline


def query(workdir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(workdir / "tributary.duckdb"), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def loaded(repo, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("git-load")
    load(workdir, [f"demo={repo.path}"])
    return workdir


def test_counts(loaded):
    assert query(loaded, "select count(*) from raw_git.commits") == [(len(DATES),)]
    assert query(loaded, "select count(*) from raw_git.commit_files") == [(len(FILE_CHANGES),)]


def test_repository_name_and_shas(loaded, repo):
    rows = query(loaded, "select repository, subject, commit_sha from raw_git.commits")
    assert {(name, subject, sha) for name, subject, sha in rows} == {
        ("demo", subject, sha) for subject, sha in repo.shas.items()
    }
    names = query(loaded, "select distinct repository from raw_git.commit_files")
    assert names == [("demo",)]


def test_subjects_round_trip_exactly(loaded):
    rows = query(loaded, "select subject from raw_git.commits")
    assert sorted(subject for (subject,) in rows) == sorted(DATES)


def test_lines_added_and_deleted_per_file(loaded):
    rows = query(
        loaded,
        "select c.subject, f.file_path, f.lines_added, f.lines_deleted, f.is_binary "
        "from raw_git.commit_files f join raw_git.commits c using (repository, commit_sha)",
    )
    changes = {(subject, path): tuple(values) for subject, path, *values in rows}
    assert changes == FILE_CHANGES
    assert len(rows) == len(FILE_CHANGES)


def test_parents(loaded, repo):
    rows = query(loaded, "select subject, parent_shas, parent_count from raw_git.commits")
    parents = {subject: (shas, count) for subject, shas, count in rows}
    assert parents[ROOT] == ("", 0)
    assert parents[FIX] == (repo.shas[ROOT], 1)
    assert parents[FEATURE] == (repo.shas[BINARY], 1)
    # First parent is main's tip, second the feature branch's.
    assert parents[MERGE] == (f"{repo.shas[MAIN_TWEAK]} {repo.shas[FEATURE]}", 2)
    assert parents[TAGGED] == (repo.shas[MERGE], 1)


def test_identities(loaded):
    rows = query(
        loaded,
        "select distinct author_name, author_email, committer_name, committer_email "
        "from raw_git.commits",
    )
    assert rows == [(*AUTHOR, *COMMITTER)]


def test_instants_are_utc_with_the_original_offset(loaded):
    rows = query(
        loaded,
        "select subject, authored_at, author_utc_offset_minutes, committed_at, "
        "committer_utc_offset_minutes, authored_at at time zone 'UTC' from raw_git.commits",
    )
    offsets = {ROOT: 120, FIX: -300, BINARY: 330, FEATURE: 0, MAIN_TWEAK: 60, MERGE: 60}
    offsets[TAGGED] = -480
    assert len(rows) == len(DATES)
    for subject, authored, author_offset, committed, committer_offset, authored_utc in rows:
        author_date, committer_date = DATES[subject]
        assert authored == datetime.fromisoformat(author_date)
        assert committed == datetime.fromisoformat(committer_date)
        assert authored_utc == datetime.fromisoformat(author_date).astimezone(UTC).replace(
            tzinfo=None
        )
        assert author_offset == committer_offset == offsets[subject]
    root = next(row for row in rows if row[0] == ROOT)
    assert root[1] == datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    assert root[2] == 120


def test_rerun_merges_on_the_keys(repo, tmp_path):
    pipeline = load(tmp_path, [f"demo={repo.path}"])
    first = (
        query(tmp_path, "select count(*) from raw_git.commits"),
        query(tmp_path, "select count(*) from raw_git.commit_files"),
    )
    load(tmp_path, [f"demo={repo.path}"], pipeline=pipeline)
    second = (
        query(tmp_path, "select count(*) from raw_git.commits"),
        query(tmp_path, "select count(*) from raw_git.commit_files"),
    )
    assert first == second == ([(len(DATES),)], [(len(FILE_CHANGES),)])
    assert query(tmp_path, "select count(*) from raw_git._dlt_loads") == [(2,)]


def test_two_repositories_are_told_apart(repo, tmp_path):
    load(tmp_path, [f"one={repo.path}", f"two={repo.path}"])
    rows = query(
        tmp_path, "select repository, count(*) from raw_git.commits group by all order by all"
    )
    assert rows == [("one", len(DATES)), ("two", len(DATES))]


def read_all(path: Path, name: str) -> list:
    return list(read_history(path, name, read_refs(path).tips))


def test_read_history_directly(repo):
    batches = read_all(repo.path, "demo")
    assert sum(batch.commits.num_rows for batch in batches) == len(DATES)
    assert sum(batch.commit_files.num_rows for batch in batches) == len(FILE_CHANGES)


def test_empty_repository_gives_no_rows_and_no_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    assert read_all(empty, "empty") == []

    workdir = tmp_path / "load"
    load(workdir, [f"empty={empty}"])
    with duckdb.connect(str(workdir / "tributary.duckdb"), read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_git'"
            ).fetchall()
        }
        for table in {"commits", "commit_files"} & tables:
            assert connection.execute(f"select count(*) from raw_git.{table}").fetchall() == [(0,)]


def test_not_a_repository_raises_git_error(tmp_path):
    plain = tmp_path / "plain folder"
    plain.mkdir()
    with pytest.raises(GitError, match="not a git repository") as failure:
        check_repository(plain)
    assert str(plain) in str(failure.value)

    missing = tmp_path / "missing"
    with pytest.raises(GitError, match="not a git repository"):
        check_repository(missing)


def test_not_a_repository_fails_the_pipeline_run(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(PipelineStepFailed) as failure:
        load(tmp_path / "load", [f"plain={plain}"])
    assert "not a git repository" in str(failure.value)
    assert str(plain) in str(failure.value)
    causes = []
    error: BaseException | None = failure.value
    while error is not None:
        causes.append(error)
        error = error.__cause__
    assert any(isinstance(cause, GitError) for cause in causes)


def test_unborn_head_still_reads_the_branches(tmp_path):
    path = tmp_path / "orphan"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, ROOT, {"one.txt": b"a\nb\nc\n", "with space.txt": b"x\ny\n"})
    git(path, "checkout", "-q", "--orphan", "fresh")
    batches = read_all(path, "orphan")
    assert sum(batch.commits.num_rows for batch in batches) == 1


def test_parse_repository_named(tmp_path):
    assert parse_repository(f"name={tmp_path}") == ("name", tmp_path.resolve())
    assert parse_repository("name=/x") == ("name", Path("/x").resolve())


def test_parse_repository_bare_path(tmp_path, monkeypatch):
    folder = tmp_path / "my-repo"
    folder.mkdir()
    assert parse_repository(str(folder)) == ("my-repo", folder.resolve())
    monkeypatch.chdir(folder)
    assert parse_repository(".") == ("my-repo", folder.resolve())
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_repository("~/my-repo") == ("my-repo", folder.resolve())
    assert parse_repository("alias=~/my-repo") == ("alias", folder.resolve())
