"""Rejected archive lines are never silent: the run fails beyond the allowed share, the run
summary names the files, and a re-issued file's old rejections stop counting, on DuckDB and
Postgres.

A one-symbol archive folder of three daily files; one file gets 30 lines with more decimal
places than prices hold. The exchange source loads it into the test's warehouse and dbt builds
``fct_rejected_rows``; then the archive re-issues the file clean and the same runs follow.
"""

from datetime import UTC, date, datetime

import pytest

from demo.exchange.mirror import write_mirror
from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor
from orchestration.run import print_summary
from orchestration.summary import quarantined_files

from support.archive_zips import DAY, SOURCE, csv_lines, write_zip_with_checksum
from support.environment import on_each_warehouse
from support.warehouse import run_dbt


def load(folder) -> RejectedFiles:
    rejected = RejectedFiles()
    source = exchange_source(archive_base_url=str(folder), rejected=rejected, **SOURCE)
    dlt_pipeline("exchange").run(source)
    return rejected


def rejections() -> list[tuple]:
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select is_superseded, rejection_category, count(*), max(file_line_count) "
            "from marts.fct_rejected_rows group by 1, 2 order by 1, 2"
        )
        return [tuple(row) for row in cursor.fetchall()]


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_rejected_lines_fail_the_run_are_listed_and_superseded_by_a_reissue(
    warehouse, monkeypatch, tmp_path, capsys
):
    folder = tmp_path / "archive"
    mirror = tmp_path / "mirror"
    write_mirror(
        mirror,
        symbols=("BTCUSDT",),
        start=date(2025, 1, 1),
        now=datetime(2025, 1, 4, 12, tzinfo=UTC),
        markets=("spot",),
        intervals=("1m",),
    )
    folder.mkdir()
    for path in mirror.rglob("*-2025-01-0[123].zip*"):
        target = folder / path.relative_to(mirror)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    good = csv_lines(folder / DAY)
    bad = [line.replace(b".", b".123456789", 1) if n < 30 else line for n, line in enumerate(good)]
    write_zip_with_checksum(folder / DAY, bad)

    rejected = load(folder)
    (too_many,) = rejected.over_threshold
    assert "30 of 1,440 lines rejected (2.08%)" in too_many
    assert "open has more than 8 decimal places (30)" in too_many
    run_dbt(warehouse, "build", "--select", "+fct_rejected_rows", "--exclude-resource-type",
            "unit_test")  # fmt: skip
    assert rejections() == [(False, "open has more than 8 decimal places", 30, 1440)]
    (listed,) = quarantined_files()
    assert listed.path == DAY
    assert listed.describe() == (
        f"{DAY}: 30 of 1,440 lines rejected: open has more than 8 decimal places (30)"
    )
    print_summary(1.0)
    assert "quarantined: 1 archive file(s) have rejected lines" in capsys.readouterr().out

    # The archive re-issues the file clean: it loads in full, the old lines stay for audit.
    write_zip_with_checksum(folder / DAY, good)
    assert load(folder).over_threshold == []
    run_dbt(warehouse, "build", "--select", "+fct_rejected_rows", "--exclude-resource-type",
            "unit_test")  # fmt: skip
    assert rejections() == [(True, "open has more than 8 decimal places", 30, None)]
    assert quarantined_files() == []
    print_summary(1.0)
    assert "quarantined" not in capsys.readouterr().out
