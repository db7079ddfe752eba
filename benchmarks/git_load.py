"""Git benchmark: a generated 50,000-commit repository into DuckDB with Tributary's git source,
against one raw ``git log --numstat`` process over the same history and against PyDriller; then
the commit-graph walk (what each deployment shipped) over the loaded history, against git
listing the same graph (``git rev-list --parents``).

``python -m benchmarks.git_load``. The repository is generated once with ``git fast-import``
(:mod:`demo.synthetic_history`) under ``$TRIBUTARY_BENCH_DIR/git`` (default
``<data>/bench/git``) and kept between runs. Each phase runs in its own process; CPU seconds
include the git processes a phase started.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
from pathlib import Path

from benchmarks.measure import Measurement, Stopwatch, report, run_phase
from ingestion.warehouse import data_dir, make_pipeline

MODULE = "benchmarks.git_load"
COMMITS = 50_000
PYDRILLER_SAMPLE = 300
"""Commits PyDriller reads, spread evenly over the history; its time is scaled to the whole."""
REFS = ["--branches", "--tags", "HEAD"]
GIT_LOG = ["log", *REFS, "--numstat", "--no-renames"]


def bench_dir() -> Path:
    root = os.environ.get("TRIBUTARY_BENCH_DIR")
    return (Path(root).resolve() if root else data_dir() / "bench") / "git"


def repository_dir() -> Path:
    return bench_dir() / "history.git"


def cpu_seconds() -> float:
    """User + system CPU of this process and of the children it waited for."""
    return python_cpu_seconds() + git_cpu_seconds()


def python_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def git_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def commit_count() -> int:
    output = subprocess.run(
        ["git", "-C", str(repository_dir()), "rev-list", "--count", *REFS],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(output.stdout)


def phase_git_log(*extra: str) -> None:
    """One ``git log --numstat`` process over every ref, its output thrown away."""
    command = ["git", "-C", str(repository_dir()), *GIT_LOG, *extra]
    with Stopwatch() as watch:
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    report(watch.seconds, commits=commit_count(), cpu_seconds=cpu_seconds())


def phase_load(database: str, workers: int | None) -> None:
    """Tributary's git source into a fresh DuckDB: extract, normalize and load timed apart."""
    os.environ["LOAD__DELETE_COMPLETED_JOBS"] = "true"
    import dlt
    import duckdb

    from ingestion.git import git_source

    pipeline = make_pipeline(
        "bench_git",
        destination=dlt.destinations.duckdb(database),
        dataset_name="raw_git",
        pipelines_dir=str(Path(database).parent / "dlt"),
    )
    steps: dict[str, float] = {}
    with Stopwatch() as watch:
        source = git_source(repositories=[f"history={repository_dir()}"], workers=workers)
        for step in ("extract", "normalize", "load"):
            with Stopwatch() as step_watch:
                getattr(pipeline, step)(*([source] if step == "extract" else []))
            steps[step] = step_watch.seconds
    with duckdb.connect(database, read_only=True) as connection:
        commits = connection.execute("select count(*) from raw_git.commits").fetchone()[0]
        files = connection.execute("select count(*) from raw_git.commit_files").fetchone()[0]
    report(
        watch.seconds,
        commits=commits,
        files=files,
        cpu_seconds=cpu_seconds(),
        git_cpu_seconds=git_cpu_seconds(),
        **steps,
    )


WALK_EVERY = 25
"""The walk's deployments: every 25th commit of the first-parent chain, and every release tag."""


def phase_rev_list() -> None:
    """``git rev-list --parents`` over every ref: git listing the graph the walk walks."""
    command = ["git", "-C", str(repository_dir()), "rev-list", "--parents", *REFS]
    with Stopwatch() as watch:
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    report(watch.seconds, cpu_seconds=cpu_seconds())


def phase_walk(database: str) -> None:
    """The commit-graph walk over the loaded commits (read from DuckDB, timed apart) with a
    deployment every ``WALK_EVERY`` first-parent commits and at every release tag."""
    from datetime import UTC, datetime, timedelta

    import duckdb

    from ingestion.git.shipped_commits import Deployment, shipped_commits

    def git(*args: str) -> list[str]:
        return subprocess.run(
            ["git", "-C", str(repository_dir()), *args], capture_output=True, text=True, check=True
        ).stdout.split()

    chain = git("rev-list", "--first-parent", "--reverse", "HEAD")[WALK_EVERY - 1 :: WALK_EVERY]
    tags = git("for-each-ref", "--format=%(objectname)^{commit}", "refs/tags")
    heads = [*chain, *git("rev-parse", *tags)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    deployments = [
        Deployment("history", f"d{index}", sha, start + timedelta(minutes=index))
        for index, sha in enumerate(heads)
    ]
    with Stopwatch() as read, duckdb.connect(database, read_only=True) as connection:
        commits = connection.execute(
            "select repository, commit_sha, parent_shas from raw_git.commits"
        ).fetchall()
    with Stopwatch() as watch:
        shipped = shipped_commits(commits, deployments)
    reachable = len(git("rev-list", *heads))
    report(
        watch.seconds,
        read_seconds=read.seconds,
        commits=len(commits),
        deployments=len(deployments),
        shipped=shipped.num_rows,
        reachable=reachable,
        cpu_seconds=python_cpu_seconds(),
    )


def phase_pydriller() -> None:
    """PyDriller over an even sample of the commits, reading what our source reads."""
    from pydriller import Repository

    shas = subprocess.run(
        ["git", "-C", str(repository_dir()), "rev-list", *REFS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    sample = shas[:: max(1, len(shas) // PYDRILLER_SAMPLE)][:PYDRILLER_SAMPLE]
    read = 0
    with Stopwatch() as watch:
        commits = Repository(str(repository_dir()), only_commits=sample).traverse_commits()
        for commit in itertools.islice(commits, len(sample)):
            _ = (commit.hash, commit.parents, commit.msg, commit.author.name, commit.author.email)
            _ = (commit.author_date, commit.committer.name, commit.committer_date)
            for changed in commit.modified_files:
                _ = (changed.new_path or changed.old_path, changed.added_lines)
                _ = changed.deleted_lines
            read += 1
    report(watch.seconds, commits=read, cpu_seconds=cpu_seconds())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    phases = ["git-log", "git-log-fp", "load", "rev-list", "walk", "pydriller"]
    parser.add_argument("phase", nargs="?", choices=phases)
    parser.add_argument("--database")
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    if args.phase == "git-log":
        return phase_git_log()
    if args.phase == "git-log-fp":
        return phase_git_log("--diff-merges=first-parent")
    if args.phase == "load":
        return phase_load(args.database, args.workers)
    if args.phase == "rev-list":
        return phase_rev_list()
    if args.phase == "walk":
        return phase_walk(args.database)
    if args.phase == "pydriller":
        return phase_pydriller()

    from demo.synthetic_history import generate

    print("Git benchmark: generating the repository (once, then kept)...", flush=True)
    with Stopwatch() as watch:
        generate(repository_dir(), COMMITS)
    total = commit_count()
    print(f"  {total:,} commits in {repository_dir()} ({watch.seconds:.0f} s)")
    work = bench_dir() / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    git_log = run_phase(MODULE, "git-log")
    first_parent = run_phase(MODULE, "git-log-fp")
    ours = run_phase(MODULE, "load", "--database", str(work / "tributary.duckdb"))
    rev_list = run_phase(MODULE, "rev-list")
    walk = run_phase(MODULE, "walk", "--database", str(work / "tributary.duckdb"))
    pydriller = run_phase(MODULE, "pydriller")
    assert git_log.result["commits"] == ours.result["commits"] == total, (git_log, ours)
    pydriller_seconds = pydriller.seconds * total / pydriller.result["commits"]

    def line(name: str, m: Measurement, seconds: float | None = None) -> str:
        seconds = m.seconds if seconds is None else seconds
        return (
            f"  {name:<44} {seconds:8.2f} s  {total / seconds:>9,.0f} commits/s  "
            f"{m.peak_rss_mb:6.0f} MB  cpu {m.result['cpu_seconds']:7.2f} s"
        )

    print("\nRead the whole history (seconds, commits/s, peak RSS of the Python process, CPU):")
    print(line("git log --numstat > /dev/null", git_log))
    print(line("  + --diff-merges=first-parent", first_parent))
    print(line("Tributary git source into DuckDB (dlt)", ours))
    print(
        f"    extract {ours.result['extract']:.2f} s, normalize {ours.result['normalize']:.2f} s, "
        f"load {ours.result['load']:.2f} s; {ours.result['files']:,} commit_files rows; "
        f"CPU: git processes {ours.result['git_cpu_seconds']:.2f} s, Python and DuckDB "
        f"{ours.result['cpu_seconds'] - ours.result['git_cpu_seconds']:.2f} s"
    )
    sample = pydriller.result["commits"]
    print(line(f"PyDriller ({sample} commits, scaled to all)", pydriller, pydriller_seconds))
    extra = first_parent.seconds - git_log.seconds
    print(f"\n  merge diffs (--diff-merges=first-parent) cost git log {extra:+.2f} s")
    print(f"  ratio ours / git log: {ours.seconds / git_log.seconds:.2f}x (target <= 1x)")
    print(f"  ratio PyDriller / ours: {pydriller_seconds / ours.seconds:.1f}x (target >= 10x)")
    cpu_ratio = ours.result["cpu_seconds"] / git_log.result["cpu_seconds"]
    print(
        "  (wall times need idle cores: ours runs several git processes at once; "
        f"CPU ratio ours / git log {cpu_ratio:.2f}x)"
    )
    assert walk.result["shipped"] == walk.result["reachable"], walk.result
    print(
        f"\nWhat each deployment shipped: {walk.result['deployments']:,} deployments over "
        f"{walk.result['commits']:,} commits, {walk.result['shipped']:,} commits shipped (each "
        "once: as many as git reaches from the deployments)"
    )
    print(f"  git rev-list --parents (the graph) {rev_list.seconds:8.2f} s")
    print(
        f"  the walk                           {walk.seconds:8.2f} s  "
        f"{walk.peak_rss_mb:6.0f} MB  (+ {walk.result['read_seconds']:.2f} s reading the "
        "commits from DuckDB)"
    )
    print(f"  ratio walk / git rev-list: {walk.seconds / rev_list.seconds:.2f}x")


if __name__ == "__main__":
    main()
