"""The git source over several real repositories built with ``git``: repository roots, tags,
branches, mailmap, bots, odd messages, default-branch ancestry, incremental runs and force-pushes.

Loaded by dlt into DuckDB (and, for the hard deletes, into Postgres with the ``postgres`` marker).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.git import GitError, git_source
from ingestion.git.log_reader import read_history
from ingestion.git.refs import github_full_name, read_refs
from ingestion.warehouse import make_pipeline

pytestmark = pytest.mark.usefixtures("plain_git")

AUTHOR = ("Zoë Author", "zoe@example.org")
OLD_IDENTITY = ("zoe (laptop)", "zoe@laptop.local")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
FULL_NAME = "tributary-demo/webshop"
ODD_SUBJECT = "fix: tab\there, unit\x1fsep, record\x1esep — ünïcode"
ODD_BODY = "line one\x1e\x1f\x01 still body\n\n\tindented\r\nThis reverts commit " + "a" * 40 + "."
_clock = count()


def git(
    repo: Path, *args: str, identity: tuple[str, str] = AUTHOR, stdin: str | None = None
) -> str:
    stamp = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) + 60 * next(_clock)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": identity[0],
        "GIT_AUTHOR_EMAIL": identity[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
        "GIT_AUTHOR_DATE": f"@{stamp} +0100",
        "GIT_COMMITTER_DATE": f"@{stamp} +0100",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def commit(repo: Path, subject: str, identity: tuple[str, str] = AUTHOR, body: str = "") -> str:
    path = repo / f"{subject[:12].replace('/', '_')}.txt"
    path.write_text(path.read_text() + "x\n" if path.exists() else "x\n")
    git(repo, "add", "--all")
    message = f"{subject}\n\n{body}" if body else subject
    git(repo, "commit", "-q", "--cleanup=verbatim", "-F", "-", identity=identity, stdin=message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(path: Path, commits: int = 2) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for index in range(commits):
        commit(path, f"{path.name} {index}")
    return path


def pipeline_for(workdir: Path, destination: object | None = None) -> dlt.Pipeline:
    return make_pipeline(
        pipeline_name="git_history_test",
        destination=destination or dlt.destinations.duckdb(str(workdir / "tributary.duckdb")),
        dataset_name="raw_git",
        pipelines_dir=str(workdir / "dlt"),
    )


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return [tuple(row) for row in client.execute_sql(sql)]


def table_content(pipeline: dlt.Pipeline, table: str) -> list[tuple]:
    """Every row but its load id, in a fixed order."""
    columns = [
        name for name in pipeline.default_schema.get_table_columns(table) if name != "_dlt_load_id"
    ]
    return sorted(query(pipeline, f"select {', '.join(columns)} from raw_git.{table}"), key=repr)


def last_load(pipeline: dlt.Pipeline) -> str:
    return query(pipeline, "select max(load_id) from raw_git._dlt_loads")[0][0]


def rows_of_last_load(pipeline: dlt.Pipeline, table: str) -> int:
    load_id = last_load(pipeline)
    return query(
        pipeline, f"select count(*) from raw_git.{table} where _dlt_load_id = '{load_id}'"
    )[0][0]


def expected_mainline(repo: Path, head: str = "main") -> dict[str, tuple[str, int]]:
    """Brute force with git alone: each first-parent commit brings in what its predecessor
    had not."""
    chain = git(repo, "rev-list", "--first-parent", "--reverse", head).split()
    expected: dict[str, tuple[str, int]] = {}
    for depth, sha in enumerate(chain, start=1):
        previous = [f"^{chain[depth - 2]}"] if depth > 1 else []
        for brought in git(repo, "rev-list", sha, *previous).split():
            expected[brought] = (sha, depth)
    return expected


def mainline_rows(pipeline: dlt.Pipeline, name: str) -> dict[str, tuple[str, int]]:
    rows = query(
        pipeline,
        "select commit_sha, mainline_sha, mainline_depth from raw_git.default_branch_commits "
        f"where repository = '{name}'",
    )
    return {sha: (mainline, depth) for sha, mainline, depth in rows}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """``webshop`` (tags, branches, mailmap, a bot, an odd message, merges) and a roots folder
    with two repositories and a plain folder."""
    base = tmp_path_factory.mktemp("world")
    shop = new_repo(base / "webshop", commits=1)
    (shop / ".mailmap").write_text(
        f"{AUTHOR[0]} <{AUTHOR[1]}> {OLD_IDENTITY[0]} <{OLD_IDENTITY[1]}>\n"
    )
    git(shop, "add", ".mailmap")
    git(shop, "commit", "-q", "-m", "add mailmap")
    commit(shop, "from the laptop", identity=OLD_IDENTITY)
    commit(shop, "chore(deps): bump", identity=BOT)
    commit(shop, ODD_SUBJECT, body=ODD_BODY)
    git(shop, "tag", "-a", "v1.0", "-m", "Release 1.0\n\nnotes")
    git(shop, "checkout", "-q", "-b", "feature")
    commit(shop, "feature one")
    commit(shop, "feature two")
    git(shop, "checkout", "-q", "main")
    commit(shop, "main moves on")
    git(shop, "merge", "-q", "--no-ff", "feature", "-m", "Merge branch 'feature'")
    git(shop, "tag", "v1.1")
    git(shop, "checkout", "-q", "-b", "wip")
    commit(shop, "work in progress")
    git(shop, "checkout", "-q", "main")
    git(shop, "remote", "add", "origin", "git@github.com:tributary-demo/webshop.git")

    roots = base / "roots"
    new_repo(roots / "alpha")
    new_repo(roots / "beta", commits=3)
    (roots / "plain").mkdir()
    (roots / "notes.txt").write_text("not a folder")
    return {"webshop": shop, "roots": roots}


@pytest.fixture(scope="module")
def loaded(world, tmp_path_factory) -> dlt.Pipeline:
    pipeline = pipeline_for(tmp_path_factory.mktemp("loaded"))
    pipeline.run(
        git_source(
            repositories=[f"webshop={world['webshop']}"], repository_roots=[str(world["roots"])]
        )
    )
    return pipeline


def test_repositories_from_paths_and_roots(loaded, world):
    rows = query(
        loaded,
        "select repository, path, default_branch, head_sha, remote_url, github_full_name "
        "from raw_git.repositories order by repository",
    )
    shop, alpha, beta = world["webshop"], world["roots"] / "alpha", world["roots"] / "beta"
    origin = "git@github.com:tributary-demo/webshop.git"
    assert rows == [
        ("alpha", str(alpha), "main", git(alpha, "rev-parse", "HEAD"), None, None),
        ("beta", str(beta), "main", git(beta, "rev-parse", "HEAD"), None, None),
        ("webshop", str(shop), "main", git(shop, "rev-parse", "HEAD"), origin, FULL_NAME),
    ]
    counts = query(loaded, "select repository, count(*) from raw_git.commits group by 1 order by 1")
    assert counts == [("alpha", 2), ("beta", 3), ("webshop", 10)]


def test_tags_annotated_and_lightweight(loaded, world):
    shop = world["webshop"]
    rows = query(
        loaded,
        "select tag_name, commit_sha, tag_object_sha, is_annotated, tagger_name, tagger_email, "
        "tagged_at, tag_subject from raw_git.tags where repository = 'webshop' order by 1",
    )
    tagged_at = datetime.fromisoformat(
        git(shop, "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/v1.0")
    )
    assert rows == [
        ("v1.0", git(shop, "rev-parse", "v1.0^{commit}"), git(shop, "rev-parse", "v1.0"), True,
         *AUTHOR, tagged_at, "Release 1.0"),
        ("v1.1", git(shop, "rev-parse", "main"), None, False, None, None, None, None),
    ]  # fmt: skip
    assert query(loaded, "select count(*) from raw_git.tags where repository <> 'webshop'") == [
        (0,)
    ]


def test_branches(loaded, world):
    rows = query(
        loaded,
        "select branch_name, commit_sha, is_default from raw_git.branches "
        "where repository = 'webshop' order by 1",
    )
    shop = world["webshop"]
    assert rows == [
        ("feature", git(shop, "rev-parse", "feature"), False),
        ("main", git(shop, "rev-parse", "main"), True),
        ("wip", git(shop, "rev-parse", "wip"), False),
    ]


def test_mailmap_bots_and_odd_messages(loaded, world):
    rows = query(
        loaded,
        "select subject, body, author_name, author_email, raw_author_name, raw_author_email, "
        "is_bot from raw_git.commits where repository = 'webshop'",
    )
    by_subject = {row[0]: row[1:] for row in rows}
    assert by_subject["from the laptop"] == ("", *AUTHOR, *OLD_IDENTITY, False)
    assert by_subject["chore(deps): bump"] == ("", *BOT, *BOT, True)
    odd = by_subject[ODD_SUBJECT]
    assert odd == (ODD_BODY, *AUTHOR, *AUTHOR, False)
    # The subject is git's own %s.
    assert git(world["webshop"], "log", "-1", "--format=%s", "v1.0") == ODD_SUBJECT
    assert sum(1 for row in rows if row[-1]) == 1


def test_custom_bot_patterns(world):
    batches = read_history(
        world["webshop"], "webshop", read_refs(world["webshop"]).tips, bot_pattern="laptop"
    )
    flagged = {
        subject.as_py()
        for batch in batches
        for subject, bot in zip(batch.commits["subject"], batch.commits["is_bot"], strict=True)
        if bot.as_py()
    }
    assert flagged == {"from the laptop"}


def test_default_branch_commits_match_git(loaded, world):
    assert mainline_rows(loaded, "webshop") == expected_mainline(world["webshop"])
    assert mainline_rows(loaded, "beta") == expected_mainline(world["roots"] / "beta")


def table_rows(table) -> list[tuple]:
    return list(zip(*table.to_pydict().values(), strict=True))


def test_parallel_read_equals_one_git_log_process(world):
    path = world["webshop"]
    tips = read_refs(path).tips

    def rows(workers: int, chunk: int) -> tuple[list, list]:
        batches = list(read_history(path, "webshop", tips, workers=workers, chunk_commits=chunk))
        commits = sorted(row for b in batches for row in table_rows(b.commits))
        files = sorted((row for b in batches for row in table_rows(b.commit_files)), key=repr)
        return commits, files

    single = rows(1, 2_000)
    assert len(single[0]) == 10
    assert rows(3, 2) == single


def test_github_full_name():
    for url in (
        "https://github.com/tributary-demo/webshop.git",
        "https://github.com/tributary-demo/webshop",
        "https://user@github.com/tributary-demo/webshop/",
        "git@github.com:tributary-demo/webshop.git",
        "ssh://git@github.com/tributary-demo/webshop.git",
        "ssh://git@github.com:22/tributary-demo/webshop",
    ):
        assert github_full_name(url) == "tributary-demo/webshop", url
    for url in (
        None,
        "",
        "https://gitlab.com/a/b.git",
        "/srv/git/webshop.git",
        "https://github.com/only",
    ):
        assert github_full_name(url) is None, url


def test_non_repository_and_missing_root_fail_with_the_path(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for source, path in (
        (git_source(repositories=[str(plain)]), plain),
        (git_source(repositories=[str(tmp_path / "gone")]), tmp_path / "gone"),
        (git_source(repository_roots=[str(tmp_path / "no-root")]), tmp_path / "no-root"),
    ):
        with pytest.raises(PipelineStepFailed) as failure:
            pipeline_for(tmp_path / "load").extract(source)
        assert str(path) in str(failure.value)
        causes, error = [], failure.value
        while error is not None:
            causes.append(error)
            error = error.__cause__ or error.__context__
        assert any(isinstance(cause, GitError) for cause in causes)


def _evolving_history(pipeline: dlt.Pipeline, repo: Path) -> None:
    """Run after run: nothing new, new commits, a branch merged later, a force-push."""
    source = lambda: git_source(repositories=[f"shop={repo}"], workers=2, chunk_commits=2)  # noqa: E731
    pipeline.run(source())
    tables = ("commits", "commit_files", "default_branch_commits", "tags", "branches")
    content = ("commits", "commit_files", "default_branch_commits")
    snapshot = {table: table_content(pipeline, table) for table in content}
    first = {
        table: query(pipeline, f"select count(*) from raw_git.{table}")[0][0] for table in tables
    }
    assert first["commits"] == int(git(repo, "rev-list", "--count", "--all"))

    # Nothing new: nothing read, the same tables.
    pipeline.run(source())
    assert rows_of_last_load(pipeline, "commits") == 0
    assert rows_of_last_load(pipeline, "default_branch_commits") == 0
    again = {
        table: query(pipeline, f"select count(*) from raw_git.{table}")[0][0] for table in tables
    }
    assert again == first
    assert {table: table_content(pipeline, table) for table in content} == snapshot

    # Two new commits on main: only they are read.
    commit(repo, "new one")
    commit(repo, "new two")
    pipeline.run(source())
    assert rows_of_last_load(pipeline, "commits") == 2
    assert mainline_rows(pipeline, "shop") == expected_mainline(repo)

    # A side branch loaded before it is merged: its commits join the default branch later.
    git(repo, "checkout", "-q", "-b", "late")
    late = [commit(repo, "late one"), commit(repo, "late two")]
    git(repo, "checkout", "-q", "main")
    commit(repo, "main again")
    pipeline.run(source())
    assert not set(late) & set(mainline_rows(pipeline, "shop"))
    git(repo, "merge", "-q", "--no-ff", "late", "-m", "Merge branch 'late'")
    pipeline.run(source())
    assert rows_of_last_load(pipeline, "commits") == 1  # only the merge commit is new
    merge = git(repo, "rev-parse", "HEAD")
    rows = mainline_rows(pipeline, "shop")
    assert rows == expected_mainline(repo)
    assert {rows[sha][0] for sha in late} == {merge}

    # Force-push: main loses the merge and one commit; the late branch is deleted.
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    git(repo, "branch", "-q", "-D", "late")
    gone = {merge, *late, git(repo, "rev-parse", "HEAD@{1}~1")}
    pipeline.run(source())
    shas = {sha for (sha,) in query(pipeline, "select commit_sha from raw_git.commits")}
    assert shas == set(git(repo, "rev-list", "--all").split())
    assert not gone & shas
    file_shas = {sha for (sha,) in query(pipeline, "select commit_sha from raw_git.commit_files")}
    assert file_shas <= shas
    assert mainline_rows(pipeline, "shop") == expected_mainline(repo)
    branches = query(pipeline, "select branch_name from raw_git.branches order by 1")
    assert branches == [("main",), ("topic",)]


def _history_repo(path: Path) -> Path:
    repo = new_repo(path, commits=3)
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, "topic one")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "topic", "-m", "Merge branch 'topic'")
    git(repo, "tag", "-a", "v1", "-m", "one")
    return repo


def test_incremental_runs_and_force_push_on_duckdb(tmp_path):
    _evolving_history(pipeline_for(tmp_path / "load"), _history_repo(tmp_path / "shop"))


def test_deleted_tags_leave_the_snapshot(tmp_path):
    repo = _history_repo(tmp_path / "shop")
    pipeline = pipeline_for(tmp_path / "load")
    pipeline.run(git_source(repositories=[f"shop={repo}"]))
    assert query(pipeline, "select count(*) from raw_git.tags") == [(1,)]
    git(repo, "tag", "-d", "v1")
    pipeline.run(git_source(repositories=[f"shop={repo}"]))
    assert query(pipeline, "select count(*) from raw_git.tags") == [(0,)]
    assert query(pipeline, "select count(*) from raw_git.branches") == [(2,)]


@pytest.mark.postgres
def test_incremental_runs_and_force_push_on_postgres(tmp_path, monkeypatch):
    from ingestion.local_postgres import start_local_postgres
    from ingestion.warehouse import PostgresSettings

    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(tmp_path / "data"))
    for key in (
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_DB",
    ):
        monkeypatch.delenv(key, raising=False)
    server = start_local_postgres()
    try:
        destination = dlt.destinations.postgres(PostgresSettings.from_env().url())
        _evolving_history(
            pipeline_for(tmp_path / "load", destination), _history_repo(tmp_path / "shop")
        )
    finally:
        del server
