"""Faults of the Binance archive and of the runs reading it, each reproduced for real.

Re-issued, tampered, corrupt and malformed files are written into a copy of a generated mirror;
unpublished monthly files are removed from it; HTTP errors and broken bodies come from a real
local HTTP server (``ArchiveServer``); a run is killed with SIGKILL in a subprocess. Every run
goes through dlt into a real DuckDB file. Expected values come from the mirror's files.

The mirror, HTTP server and query helpers are those of ``test_exchange_archive.py``, in
``support.exchange_archive`` and ``support.archive_server``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from demo.exchange.mirror import write_mirror
from ingestion.exchange import ArchiveError
from ingestion.exchange.archive import ArchiveReader
from ingestion.exchange.archive_csv import KLINE_CSV, read_archive_csv

from support.archive_server import SHORT, TRUNCATED, serve
from support.archive_zips import (
    corrupt_deflate_data,
    csv_lines,
    sha256_of,
    write_checksum,
    write_zip_with_checksum,
)
from support.environment import PROJECT_ROOT
from support.exchange_archive import (
    csv_kline_rows,
    data_lines,
    duplicate_keys,
    expected_kline_rows,
    kline_path,
    load_ids,
    loaded_kline_rows,
    query,
    rows_per_file,
    run_pipeline,
    shared_mirror,
    table_counts,
)

FAULT_SOURCE = {
    "markets": ["spot"],
    "symbols": ["BTCUSDT"],
    "intervals": ["1m"],
    "start_date": "2025-01-01",
    "end_date": "2025-01-03",
}
"""Most tests load three daily files (4,320 candles): quick runs."""
FULL_SOURCE = {**FAULT_SOURCE, "start_date": "2024-12-01"}
"""The killed runs and the fallback load the monthly file too (48,960 candles)."""
DECEMBER = kline_path("spot", "BTCUSDT", "2024-12")
"""The monthly file: milliseconds, 44,640 minutes."""
JANUARY_1, JANUARY_2, JANUARY_3 = (
    kline_path("spot", "BTCUSDT", f"2025-01-0{d}") for d in (1, 2, 3)
)
"""Daily files of the current month: microseconds, 1,440 minutes each."""
FAULT_PATHS = (JANUARY_1, JANUARY_2, JANUARY_3)
FULL_PATHS = (DECEMBER, *FAULT_PATHS)
FAULT_COUNTS = {"klines": 3 * 24 * 60, "funding_rates": 0, "archive_files": 3, "rejected_rows": 0}


@pytest.fixture(scope="session")
def fault_mirror(tmp_path_factory) -> Path:
    """BTCUSDT spot 1m as the archive stood on 2025-01-04: December monthly, January 1-3 daily.

    Tests never change it; they change a copy (:func:`mirror_copy`).
    """
    return shared_mirror(
        tmp_path_factory,
        "fault-mirror",
        symbols=("BTCUSDT",),
        start=date(2024, 12, 1),
        now=datetime(2025, 1, 4, 12, tzinfo=UTC),
    )


@pytest.fixture
def mirror_copy(fault_mirror, tmp_path) -> Path:
    copy = tmp_path / "mirror"
    shutil.copytree(fault_mirror, copy)
    return copy


def expected_rows(root: Path, paths=FAULT_PATHS) -> dict[str, int]:
    return {path: len(data_lines(root / path)) for path in paths}


def archive_file(workdir: Path, path: str) -> dict:
    """The ``archive_files`` row of ``path``."""
    columns = (
        "checksum, size_bytes, row_count, rejected_row_count, status, error, loaded_at, "
        "_dlt_load_id"
    )
    rows = query(
        workdir, f"select {columns} from raw_exchange.archive_files where path = ?", [path]
    )
    assert len(rows) == 1, path
    return dict(zip(columns.split(", "), rows[0], strict=True))


@dataclass
class CleanRun:
    workdir: Path
    counts: dict[str, int]


@pytest.fixture(scope="module")
def clean(fault_mirror, tmp_path_factory) -> CleanRun:
    """The whole fault mirror loaded once with nothing wrong: what a killed run must end with."""
    workdir = tmp_path_factory.mktemp("clean")
    assert run_pipeline(workdir, str(fault_mirror), FULL_SOURCE).errors == []
    return CleanRun(workdir, table_counts(workdir))


def test_clean_run_loads_every_line_once(clean, fault_mirror):
    """The baseline, read from a folder; spot switches from ms (2024) to µs (2025)."""
    assert rows_per_file(clean.workdir) == expected_rows(fault_mirror, FULL_PATHS)
    assert clean.counts == {
        **FAULT_COUNTS,
        "klines": 31 * 24 * 60 + 3 * 24 * 60,
        "archive_files": 4,
    }
    for path in FULL_PATHS:
        assert loaded_kline_rows(clean.workdir, path) == expected_kline_rows(fault_mirror, path)
    spans = query(
        clean.workdir,
        "select source_file, min(open_time), "
        "min(epoch_us(close_time) - epoch_us(open_time)) from raw_exchange.klines group by all",
    )
    assert {path: (first, span) for path, first, span in spans} == {
        DECEMBER: (datetime(2024, 12, 1, tzinfo=UTC), 59_999_000),
        JANUARY_1: (datetime(2025, 1, 1, tzinfo=UTC), 59_999_999),
        JANUARY_2: (datetime(2025, 1, 2, tzinfo=UTC), 59_999_999),
        JANUARY_3: (datetime(2025, 1, 3, tzinfo=UTC), 59_999_999),
    }


# --- files that change or break -----------------------------------------------------------------


def _double_volume(line: bytes) -> bytes:
    fields = line.split(b",")
    fields[5] = f"{Decimal(fields[5].decode()) * 2:.8f}".encode()
    return b",".join(fields)


def test_reissued_file_is_reloaded_alone(fault_mirror, mirror_copy, tmp_path):
    """Binance re-issues files: a new checksum means the file is downloaded and merged again."""
    with serve(mirror_copy) as server:
        assert run_pipeline(tmp_path, server.base_url, FAULT_SOURCE).errors == []
        (first_load,) = load_ids(tmp_path)
        reissued = mirror_copy / JANUARY_2
        write_zip_with_checksum(reissued, [_double_volume(line) for line in csv_lines(reissued)])
        server.clear()
        assert run_pipeline(tmp_path, server.base_url, FAULT_SOURCE).errors == []
        second_load = load_ids(tmp_path)[-1]

    assert server.requested(".zip") == [JANUARY_2]
    assert sorted(server.requested(".CHECKSUM")) == sorted(f"{p}.CHECKSUM" for p in FAULT_PATHS)
    loaded = loaded_kline_rows(tmp_path, JANUARY_2)
    assert loaded == expected_kline_rows(mirror_copy, JANUARY_2)  # the new values
    assert loaded != expected_kline_rows(fault_mirror, JANUARY_2)
    assert rows_per_file(tmp_path) == expected_rows(fault_mirror)
    assert duplicate_keys(tmp_path) == []
    assert table_counts(tmp_path) == FAULT_COUNTS

    row = archive_file(tmp_path, JANUARY_2)
    assert row["checksum"] == sha256_of(reissued) != sha256_of(fault_mirror / JANUARY_2)
    assert row["size_bytes"] == reissued.stat().st_size
    assert (row["status"], row["_dlt_load_id"]) == ("loaded", second_load)
    for path in (JANUARY_1, JANUARY_3):
        assert archive_file(tmp_path, path)["_dlt_load_id"] == first_load
    loads = query(tmp_path, "select distinct source_file, _dlt_load_id from raw_exchange.klines")
    assert sorted(loads) == sorted(
        [(JANUARY_1, first_load), (JANUARY_2, second_load), (JANUARY_3, first_load)]
    )


def test_reissued_file_replaces_the_rows_of_its_previous_version(
    fault_mirror, mirror_copy, tmp_path
):
    """After a re-issue, the rows of a file are exactly those of its current version, loaded
    with the load id ``archive_files`` records for it, and ``row_count``/``rejected_row_count``
    describe them: a candle only the previous version had is deleted from raw too. Rejected
    lines of every version stay for audit.

    The first version has one malformed line (quarantined); the re-issue fixes that line and
    drops the last candle.
    """
    path = mirror_copy / JANUARY_1
    good = csv_lines(path)
    broken = [*good[:99], good[99].replace(b",", b";", 1), *good[100:]]
    write_zip_with_checksum(path, broken)
    assert run_pipeline(tmp_path, str(mirror_copy), FAULT_SOURCE).errors == []
    assert archive_file(tmp_path, JANUARY_1)["rejected_row_count"] == 1

    write_zip_with_checksum(path, good[:-1])
    assert run_pipeline(tmp_path, str(mirror_copy), FAULT_SOURCE).errors == []
    row = archive_file(tmp_path, JANUARY_1)
    assert (row["row_count"], row["rejected_row_count"]) == (len(good) - 1, 0)

    def held(table: str) -> dict[bool, int]:
        counts = query(
            tmp_path,
            f"select t._dlt_load_id = f._dlt_load_id, count(*) from raw_exchange.{table} t "
            "join raw_exchange.archive_files f on f.path = t.source_file "
            "where t.source_file = ? group by 1",
            [JANUARY_1],
        )
        return dict(counts)

    assert held("klines") == {True: len(good) - 1}
    assert held("rejected_rows") == {False: 1}
    assert loaded_kline_rows(tmp_path, JANUARY_1) == csv_kline_rows(good[:-1], JANUARY_1)
    assert rows_per_file(tmp_path) == {**expected_rows(fault_mirror), JANUARY_1: len(good) - 1}


def _tamper_checksum_file(path: Path) -> None:
    path.with_name(path.name + ".CHECKSUM").write_text(f"{'0' * 64}  {path.name}\n")


def _tamper_zip_after_checksum(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("tamper", [_tamper_checksum_file, _tamper_zip_after_checksum])
def test_checksum_mismatch_rejects_only_that_file_until_it_is_fixed(
    fault_mirror, mirror_copy, tmp_path, tamper
):
    bad = mirror_copy / JANUARY_1
    tamper(bad)
    with serve(mirror_copy) as server:
        rejected = run_pipeline(tmp_path, server.base_url, FAULT_SOURCE)
        # Downloaded once more after the mismatch (transfers do break), then rejected.
        assert server.statuses(JANUARY_1) == [200, 200]

        assert len(rejected.errors) == 1
        assert bad.name in rejected.errors[0]
        assert "checksum mismatch" in rejected.errors[0]
        with pytest.raises(ArchiveError, match=re.escape(bad.name)) as raised:
            rejected.raise_if_any()
        assert "1 archive file(s) rejected" in str(raised.value)
        expected = expected_rows(fault_mirror)
        assert rows_per_file(tmp_path) == {p: n for p, n in expected.items() if p != JANUARY_1}
        row = archive_file(tmp_path, JANUARY_1)
        assert (row["status"], row["row_count"]) == ("rejected", 0)
        assert "checksum mismatch" in row["error"]
        assert row["loaded_at"] is not None
        for path in (JANUARY_2, JANUARY_3):
            assert archive_file(tmp_path, path)["status"] == "loaded"

        # The archive fixes the file: the next run loads it, and only it.
        shutil.copy2(fault_mirror / JANUARY_1, bad)
        shutil.copy2(fault_mirror / f"{JANUARY_1}.CHECKSUM", f"{bad}.CHECKSUM")
        server.clear()
        assert run_pipeline(tmp_path, server.base_url, FAULT_SOURCE).errors == []
        assert server.requested(".zip") == [JANUARY_1]

    assert rows_per_file(tmp_path) == expected
    assert loaded_kline_rows(tmp_path, JANUARY_1) == expected_kline_rows(fault_mirror, JANUARY_1)
    row = archive_file(tmp_path, JANUARY_1)
    assert (row["status"], row["error"], row["checksum"]) == (
        "loaded",
        None,
        sha256_of(fault_mirror / JANUARY_1),
    )


def test_corrupt_zip_with_a_valid_checksum_is_rejected(fault_mirror, mirror_copy, tmp_path):
    """Read through a ``file://`` URL."""
    bad = mirror_copy / JANUARY_2
    bad.write_bytes(b"this is not a zip file\x00" * 64)
    write_checksum(bad)
    rejected = run_pipeline(tmp_path, mirror_copy.as_uri(), FAULT_SOURCE)

    assert len(rejected.errors) == 1
    assert bad.name in rejected.errors[0]
    assert "not a readable zip" in rejected.errors[0]
    with pytest.raises(ArchiveError, match=re.escape(bad.name)):
        rejected.raise_if_any()
    expected = expected_rows(fault_mirror, (JANUARY_1, JANUARY_3))
    assert rows_per_file(tmp_path) == expected
    row = archive_file(tmp_path, JANUARY_2)
    assert row["status"] == "rejected"
    assert "not a readable zip" in row["error"]


def test_corrupt_deflate_data_with_a_matching_checksum_is_rejected_and_the_rest_loads(
    fault_mirror, mirror_copy, tmp_path
):
    """A re-published bad file: valid zip headers, compressed data zlib cannot inflate, and a
    ``.CHECKSUM`` of those very bytes. The file is rejected with its location and zlib's
    reason; every other file loads; the run fails at the end naming the file."""
    bad = mirror_copy / JANUARY_2
    corrupt_deflate_data(bad)
    rejected = run_pipeline(tmp_path, str(mirror_copy), FAULT_SOURCE)

    (error,) = rejected.errors
    assert error.startswith(f"{bad}: not a readable zip file (Error -3 while decompressing data")
    assert "invalid block type" in error
    with pytest.raises(ArchiveError, match=re.escape(str(bad))):
        rejected.raise_if_any()
    assert rows_per_file(tmp_path) == expected_rows(fault_mirror, (JANUARY_1, JANUARY_3))
    row = archive_file(tmp_path, JANUARY_2)
    assert (row["status"], row["row_count"], row["error"]) == ("rejected", 0, error)


def _field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def test_malformed_rows_are_quarantined_and_the_rest_of_the_file_loads(
    fault_mirror, mirror_copy, tmp_path
):
    path = mirror_copy / JANUARY_1
    lines = csv_lines(path)
    last = len(lines)
    malformed = {  # line number (1-based) -> (line, start of the reason)
        2: (lines[1].rsplit(b",", 1)[0], "expected 12 fields, found 11"),
        500: (_field(lines[499], 2, b"n/a"), "high is not a number: 'n/a'"),
        1000: (_field(lines[999], 0, b""), "open_time is empty"),
        last: (_field(lines[-1], 4, lines[-1].split(b",")[4] + b"1"), "close has more than 8"),
    }
    for number, (line, _) in malformed.items():
        lines[number - 1] = line
    write_zip_with_checksum(path, lines)
    rejected = run_pipeline(tmp_path, str(mirror_copy), FAULT_SOURCE)
    # The file loads, its bad lines are quarantined; 4 of 1,440 lines is more than the default
    # 0.1 %, so the run is to fail at the end, with one line naming the file and the reasons.
    assert rejected.errors == []
    (too_many,) = rejected.over_threshold
    location, _, message = too_many.partition(".zip: ")
    assert location.endswith(JANUARY_1.removesuffix(".zip"))
    assert message == (
        "4 of 1,440 lines rejected (0.28%), more than "
        "SOURCES__EXCHANGE__MAX_REJECTED_FRACTION=0.001 allows: close has more than 8 decimal "
        "places (1), expected 12 fields, found 11 (1), high is not a number (1) and 1 more; "
        "the 1,436 other lines were loaded, the rejected ones are in raw_exchange.rejected_rows"
    )
    with pytest.raises(ArchiveError, match=r"1 archive file\(s\) with too many rejected lines"):
        rejected.raise_if_any()

    rows = query(
        tmp_path,
        "select line_number, raw_line, reason, source_file, data_type, rejected_at, checksum "
        "from raw_exchange.rejected_rows order by line_number",
    )
    assert [(number, raw.encode()) for number, raw, *_ in rows] == [
        (number, line) for number, (line, _) in malformed.items()
    ]
    for (_, _, reason, source_file, data_type, rejected_at, checksum), (_, start) in zip(
        rows, malformed.values(), strict=True
    ):
        assert reason.startswith(start)
        assert (source_file, data_type, checksum) == (JANUARY_1, "klines", sha256_of(path))
        assert rejected_at is not None

    good_lines = [line for n, line in enumerate(lines, start=1) if n not in malformed]
    assert loaded_kline_rows(tmp_path, JANUARY_1) == csv_kline_rows(good_lines, JANUARY_1)
    row = archive_file(tmp_path, JANUARY_1)
    assert (row["status"], row["row_count"], row["rejected_row_count"]) == (
        "loaded",
        len(lines) - len(malformed),
        len(malformed),
    )
    assert row["row_count"] + row["rejected_row_count"] == len(csv_lines(path))
    assert rows_per_file(tmp_path) == {
        **expected_rows(fault_mirror),
        JANUARY_1: len(lines) - len(malformed),
    }


@pytest.mark.parametrize(("fraction", "fails"), [(0.01, False), (0.002, False), (0.001, True)])
def test_a_file_fails_the_run_only_beyond_the_rejected_fraction(
    fault_mirror, mirror_copy, tmp_path, fraction, fails
):
    """Two bad lines of 1,440 (0.14 %): within 1 % and 0.2 %, beyond 0.1 %. The good lines load
    either way."""
    path = mirror_copy / JANUARY_2
    lines = csv_lines(path)
    lines[9] = _field(lines[9], 1, b"x")
    lines[10] = _field(lines[10], 1, b"y")
    write_zip_with_checksum(path, lines)

    rejected = run_pipeline(
        tmp_path, str(mirror_copy), {**FAULT_SOURCE, "max_rejected_fraction": fraction}
    )

    assert rejected.errors == []
    assert len(rejected.over_threshold) == (1 if fails else 0)
    if fails:
        assert "2 of 1,440 lines rejected (0.14%)" in rejected.over_threshold[0]
        assert "open is not a number (2)" in rejected.over_threshold[0]
    assert rows_per_file(tmp_path)[JANUARY_2] == 1438
    assert archive_file(tmp_path, JANUARY_2)["status"] == "loaded"


def test_malformed_first_line_is_quarantined_not_taken_for_a_header():
    """A header is a line of column names; a data line with an empty or broken open_time is a
    malformed row, even when it is the first line of a file without a header."""
    row = b"1735689600000,100.5,101,99.25,100.75,12.5,1735689659999,1259.375,42,6.25,629.6875,0"
    for first in (b"," + row.partition(b",")[2], row.replace(b"1735689600000", b"x", 1)):
        table, rejected = read_archive_csv(b"\n".join([first, row, row]) + b"\n", KLINE_CSV, "x")
        assert (table.num_rows, [(r.line_number, r.raw_line.encode()) for r in rejected]) == (
            2,
            [(1, first)],
        )


# --- files not published yet --------------------------------------------------------------------


def test_unpublished_monthly_file_falls_back_to_daily_files(fault_mirror, mirror_copy, tmp_path):
    """Early in a month the previous month's file may be missing while its daily files exist."""
    (mirror_copy / DECEMBER).unlink()
    (mirror_copy / f"{DECEMBER}.CHECKSUM").unlink()
    # The archive as it stood on 2024-12-04 has daily files for December 1-3.
    december_days = [kline_path("spot", "BTCUSDT", f"2024-12-0{day}") for day in (1, 2, 3)]
    early = tmp_path / "early-december"
    write_mirror(early, ["BTCUSDT"], date(2024, 12, 1), datetime(2024, 12, 4, tzinfo=UTC))
    for path in december_days:
        for name in (path, f"{path}.CHECKSUM"):
            (mirror_copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(early / name, mirror_copy / name)

    with serve(mirror_copy) as server:
        rejected = run_pipeline(tmp_path, server.base_url, FULL_SOURCE)
    assert rejected.errors == []

    paths = (*december_days, *FAULT_PATHS)
    assert rows_per_file(tmp_path) == expected_rows(mirror_copy, paths)
    # The daily files hold exactly the monthly file's first three days.
    loaded = [row for path in december_days for row in loaded_kline_rows(tmp_path, path)]
    assert loaded == expected_kline_rows(fault_mirror, DECEMBER)[: 3 * 24 * 60]
    # Not published is an answer, not an error: 404 for the monthly file and December 4-31.
    assert server.statuses(f"{DECEMBER}.CHECKSUM") == server.statuses(DECEMBER) == [404]
    missing_days = [kline_path("spot", "BTCUSDT", f"2024-12-{day:02d}") for day in range(4, 32)]
    for path in missing_days:
        assert server.statuses(f"{path}.CHECKSUM") == [404], path
    assert {r.status for r in server.requests if r.status != 404} == {200}
    archive_files = query(
        tmp_path, "select path, period, status from raw_exchange.archive_files order by path"
    )
    assert archive_files == [(path, "daily", "loaded") for path in sorted(paths)]


# --- HTTP faults, through the source's real client ----------------------------------------------


def test_http_errors_and_a_truncated_body_are_retried(fault_mirror, tmp_path, monkeypatch):
    """429, 503 twice (each with Retry-After: 1), then a body cut short: the fifth request
    succeeds.

    dlt's client retries 429 and 5xx answers (waiting as Retry-After says) and a body shorter
    than its Content-Length (a ``ChunkedEncodingError``, after an exponential backoff of
    ``request_backoff_factor * 2 ** 3`` s at the fourth attempt: 2 s with the factor set here,
    8 s with dlt's default of 1), up to five attempts per request.
    """
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.25")
    with serve(fault_mirror) as server:
        server.fail(JANUARY_1, 429, 503, 503, TRUNCATED)
        rejected = run_pipeline(tmp_path, server.base_url, FAULT_SOURCE)
    assert rejected.errors == []
    assert server.statuses(JANUARY_1) == [429, 503, 503, 200, 200]
    attempts = [r.at for r in server.requests if r.path == JANUARY_1]
    waits = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(wait >= 0.9 for wait in waits[:3])  # Retry-After: 1 honoured
    assert waits[3] >= 1.9  # backoff after the broken transfer: 0.25 * 2 ** (4 - 1) s
    assert table_counts(tmp_path) == FAULT_COUNTS
    assert rows_per_file(tmp_path) == expected_rows(fault_mirror)
    assert loaded_kline_rows(tmp_path, JANUARY_1) == expected_kline_rows(fault_mirror, JANUARY_1)
    assert archive_file(tmp_path, JANUARY_1)["status"] == "loaded"


def test_truncated_body_is_retried_by_the_http_client(fault_mirror):
    """The truncated body above is caught by the client, not by the checksum: one fetch returns
    the whole file after a second request."""
    with serve(fault_mirror) as server:
        server.fail(JANUARY_1, TRUNCATED)
        content = ArchiveReader(server.base_url).fetch(JANUARY_1)
    assert content == (fault_mirror / JANUARY_1).read_bytes()
    assert server.statuses(JANUARY_1) == [200, 200]


@pytest.mark.parametrize("short_bodies", [1, 2])
def test_short_body_without_length_is_caught_by_the_checksum(fault_mirror, tmp_path, short_bodies):
    """Without a Content-Length the client cannot tell that a body is short; the checksum can:
    the file is downloaded once more, and rejected when that copy is short too."""
    with serve(fault_mirror) as server:
        server.fail(JANUARY_1, *[SHORT] * short_bodies)
        rejected = run_pipeline(tmp_path, server.base_url, FAULT_SOURCE)
    assert server.statuses(JANUARY_1) == [200, 200]
    expected = expected_rows(fault_mirror)
    if short_bodies == 1:
        assert rejected.errors == []
        assert table_counts(tmp_path) == FAULT_COUNTS
        assert rows_per_file(tmp_path) == expected
    else:
        assert len(rejected.errors) == 1
        assert "checksum mismatch" in rejected.errors[0]
        assert JANUARY_1 in rejected.errors[0]
        assert rows_per_file(tmp_path) == {p: n for p, n in expected.items() if p != JANUARY_1}
        assert archive_file(tmp_path, JANUARY_1)["status"] == "rejected"


# --- a run killed halfway -----------------------------------------------------------------------

RUN_IN_SUBPROCESS = """
import json, sys
from pathlib import Path
sys.path.append(sys.argv[1])
from support.exchange_archive import run_pipeline
run_pipeline(Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4]))
"""

KILL_WHEN = {
    # The extract step has written the first klines file of its package, not committed it yet.
    "extracting": "normalize/*/*/new_jobs/klines.*",
    # The load step runs the merge of the klines staging table into klines.
    "loading": "load/normalized/*/started_jobs/klines.*.sql",
}


def run_and_kill(workdir: Path, base_url: str, pattern: str) -> Path:
    """Run the pipeline in a subprocess and SIGKILL it once ``pattern`` (a glob under the
    pipeline's working folder) appears. Return the working folder."""
    working_folder = workdir / "dlt" / "exchange_test"
    stderr = workdir / "run.stderr"
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                RUN_IN_SUBPROCESS,
                str(PROJECT_ROOT / "tests"),  # where the support package is
                str(workdir),
                base_url,
                json.dumps(FULL_SOURCE),
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "DO_NOT_TRACK": "1"},
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 60
            while not any(working_folder.glob(pattern)):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the run ended (exit {process.returncode}) before {pattern} appeared:\n"
                        + stderr.read_text()[-3000:]
                    )
                time.sleep(0.002)
            process.send_signal(signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return working_folder


def completed_loads(workdir: Path) -> int:
    exists = query(
        workdir,
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_exchange' and table_name = '_dlt_loads'",
    )
    if not exists[0][0]:
        return 0
    return query(workdir, "select count(*) from raw_exchange._dlt_loads")[0][0]


@pytest.mark.parametrize(
    ("stage", "working_folder_lost"),
    [("extracting", False), ("loading", False), ("loading", True)],
    ids=["extracting", "loading", "loading-then-working-folder-lost"],
)
def test_killed_run_is_completed_by_the_next_run(
    fault_mirror, clean, tmp_path, stage, working_folder_lost
):
    """SIGKILL mid-run, then an ordinary run: the warehouse ends as after one clean run.

    With the working folder lost (a fresh container), the next run cannot finish the pending
    package; it finds no completed load in the warehouse and loads every file again.
    """
    working_folder = run_and_kill(tmp_path, str(fault_mirror), KILL_WHEN[stage])
    # Killed halfway indeed: nothing committed as a load, work left behind.
    assert completed_loads(tmp_path) == 0
    assert not any(working_folder.glob("load/loaded/*"))
    if stage == "extracting":
        assert not any(working_folder.glob("normalize/extracted/*"))
    else:
        assert any(working_folder.glob("load/normalized/*"))
    if working_folder_lost:
        shutil.rmtree(working_folder)

    rejected = run_pipeline(tmp_path, str(fault_mirror), FULL_SOURCE)
    assert rejected.errors == []
    assert table_counts(tmp_path) == clean.counts
    assert rows_per_file(tmp_path) == expected_rows(fault_mirror, FULL_PATHS)  # nothing missing
    assert duplicate_keys(tmp_path) == []  # nothing doubled
    distinct = query(
        tmp_path,
        "select count(*), count(distinct path) from raw_exchange.archive_files "
        "where status = 'loaded'",
    )
    assert distinct == [(len(FULL_PATHS), len(FULL_PATHS))]
    assert loaded_kline_rows(tmp_path, JANUARY_1) == expected_kline_rows(fault_mirror, JANUARY_1)

    # And the state it left behind is right: one more run finds every file unchanged.
    before = load_ids(tmp_path)
    with serve(fault_mirror) as server:
        assert run_pipeline(tmp_path, server.base_url, FULL_SOURCE).errors == []
    assert server.requested(".zip") == []
    assert table_counts(tmp_path) == clean.counts
    assert load_ids(tmp_path)[: len(before)] == before
