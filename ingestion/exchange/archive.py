"""Reading files of the Binance public archive: fetch, verify the checksum, parse to Arrow.

The archive's base location can be the real site (``https://data.binance.vision``), any HTTP
server with the same layout (``http://127.0.0.1:8000``) or a local folder (a path or ``file://``).

Each file is handled on its own (:func:`load_archive_file`): its ``.CHECKSUM`` is read first, so
a file whose checksum the warehouse already holds is not downloaded again; a download that does
not match its checksum is fetched once more, then rejected, and so is a zip that cannot be read;
rows that cannot be parsed, and rows that parse but cannot be true (:mod:`row_rules`), are
quarantined with the reason while the rest of the file loads (:mod:`archive_csv`).
:func:`archive_outcomes` processes many files over a bounded number of parallel downloads.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlparse

from dlt.sources.helpers.requests import Client
from requests import RequestException

from ingestion.exchange.archive_csv import (
    FUNDING_RATE_CSV,
    KLINE_CSV,
    read_archive_csv,
    reject_impossible_rows,
)
from ingestion.exchange.layout import FUNDING_RATE, ArchiveFile
from ingestion.exchange.outcomes import ArchiveError, FileOutcome
from ingestion.exchange.raw_tables import funding_rates_table, klines_table
from ingestion.exchange.row_rules import funding_rate_rules, kline_rules


class ArchiveReader:
    """Reads an archive base location: ``https://``, ``http://``, ``file://`` or a path."""

    def __init__(self, base_url: str, timeout_seconds: float = 60.0) -> None:
        parsed = urlparse(base_url)
        self.base_url = base_url.rstrip("/")
        self.is_http = parsed.scheme in ("http", "https")
        self.root = Path(parsed.path if parsed.scheme == "file" else base_url)
        # dlt's client retries 429 (honouring Retry-After), 5xx, connection errors and
        # truncated bodies with backoff; a 404 is an answer here ("not published yet").
        self.http = Client(request_timeout=timeout_seconds, raise_for_status=False).session

    def check_available(self) -> None:
        """Raise a clear error when a local archive folder does not exist."""
        if not self.is_http and not self.root.is_dir():
            raise ArchiveError(
                f"archive base {self.base_url!r} is neither an http(s) URL nor an existing "
                "folder; set SOURCES__EXCHANGE__ARCHIVE_BASE_URL (or generate a local mirror "
                "with `python -m demo.exchange.mirror <folder>`)"
            )

    def location(self, path: str) -> str:
        """The full URL or file path of ``path``, for messages."""
        return f"{self.base_url}/{path}" if self.is_http else str(self.root / path)

    def fetch(self, path: str) -> bytes | None:
        """The file's bytes, or None when the archive does not have it (HTTP 404, no such file).

        HTTP 429, 5xx and connection errors are retried with backoff by dlt's requests client;
        what still fails raises :class:`ArchiveError`.
        """
        if not self.is_http:
            file = self.root / path
            return file.read_bytes() if file.is_file() else None
        try:
            response = self.http.get(self.location(path))
        except RequestException as error:
            raise ArchiveError(
                f"{self.location(path)}: download failed ({error}); check "
                "SOURCES__EXCHANGE__ARCHIVE_BASE_URL and the network"
            ) from error
        if response.status_code == 404:
            return None
        if not response.ok:
            raise ArchiveError(f"{self.location(path)}: HTTP {response.status_code}")
        return response.content


def checksum_of(checksum_body: bytes) -> str:
    """The sha256 a ``.CHECKSUM`` body states (its first word), lower case."""
    words = checksum_body.decode(errors="replace").split()
    return words[0].lower() if words else ""


def verify_checksum(content: bytes, checksum_body: bytes, location: str) -> None:
    """Raise unless ``content`` hashes to the sha256 in the ``.CHECKSUM`` body."""
    expected = checksum_of(checksum_body)
    actual = hashlib.sha256(content).hexdigest()
    if expected != actual:
        raise ArchiveError(
            f"{location}: checksum mismatch (CHECKSUM file says {expected or 'nothing'}, "
            f"the downloaded file hashes to {actual}); the file was not loaded"
        )


_UNREADABLE_ZIP = (
    zipfile.BadZipFile,  # no zip, a bad header or directory, "Bad CRC-32"
    zipfile.LargeZipFile,
    zlib.error,  # deflate data that does not inflate
    lzma.LZMAError,
    OSError,  # bzip2 data that does not decompress ("Invalid data stream")
    EOFError,  # compressed data cut short
    NotImplementedError,  # an unknown compression method or zip version
    ValueError,  # offsets pointing outside the file; a name that is not UTF-8
)
"""What ``zipfile`` raises for a file whose checksum matches but whose zip cannot be read."""


def unzip_csv(zip_content: bytes, location: str) -> bytes:
    """The one CSV file inside an archive zip; a zip that cannot be read raises
    :class:`ArchiveError` naming the file and the reason."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_content)) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".csv")]
            if len(members) != 1:
                names = [info.filename for info in members]
                raise ArchiveError(f"{location}: expected one CSV file in the zip, found {names}")
            if members[0].flag_bits & 0x1:
                raise ArchiveError(f"{location}: not a readable zip file (the CSV is encrypted)")
            return archive.read(members[0])
    except _UNREADABLE_ZIP as error:
        raise ArchiveError(f"{location}: not a readable zip file ({error})") from error


def parse_archive_file(zip_content: bytes, file: ArchiveFile, location: str) -> FileOutcome:
    """Unzip and parse a verified file into its raw table, quarantining malformed rows and
    rows that cannot be true."""
    csv_bytes = unzip_csv(zip_content, location)
    funding = file.data_type == FUNDING_RATE
    csv_format = FUNDING_RATE_CSV if funding else KLINE_CSV
    rules = funding_rate_rules(file) if funding else kline_rules(file)
    csv_table, rejected = read_archive_csv(csv_bytes, csv_format, location)
    csv_table, rejected = reject_impossible_rows(csv_table, rules, csv_bytes, rejected, location)
    table = (funding_rates_table if funding else klines_table)(csv_table, file)
    return FileOutcome(file, location, "loaded", table=table, rejected_rows=rejected)


def load_archive_file(
    reader: ArchiveReader, file: ArchiveFile, known_checksum: str | None = None
) -> FileOutcome:
    """Fetch, verify and parse one file.

    The ``.CHECKSUM`` comes first: a file whose checksum equals ``known_checksum`` (the one
    loaded before) is ``unchanged`` and not downloaded. A download that does not match its
    checksum is fetched once more (transfers do break), then the file is ``rejected``.
    """
    location = reader.location(file.path)
    try:
        checksum_body = reader.fetch(file.path + ".CHECKSUM")
        if checksum_body is None:
            if reader.fetch(file.path) is None:
                return FileOutcome(file, location, "not_published")
            raise ArchiveError(f"{location}: no .CHECKSUM file beside it, so it cannot be verified")
        checksum = checksum_of(checksum_body)
        if checksum == known_checksum:
            return FileOutcome(file, location, "unchanged", checksum=checksum)
        content = b""
        for attempt in (1, 2):
            fetched = reader.fetch(file.path)
            if fetched is None:
                raise ArchiveError(f"{location}: the .CHECKSUM exists but the file does not")
            content = fetched
            try:
                verify_checksum(content, checksum_body, location)
                break
            except ArchiveError:
                if attempt == 2:
                    raise
        outcome = parse_archive_file(content, file, location)
        outcome.checksum, outcome.size_bytes = checksum, len(content)
        return outcome
    except ArchiveError as error:
        return FileOutcome(file, location, "rejected", error=str(error))


def archive_outcomes(
    reader: ArchiveReader,
    files: Sequence[ArchiveFile],
    known_checksums: Mapping[str, str],
    max_connections: int,
    fallback: Callable[[ArchiveFile], list[ArchiveFile]],
) -> Iterator[FileOutcome]:
    """Process files over at most ``max_connections`` parallel downloads, as they complete.

    At most twice that many files are in memory at once. When a file is not published, the
    files ``fallback`` names for it are queued.
    """
    queue = deque(files)
    with ThreadPoolExecutor(max_workers=max_connections) as pool:
        running: set[Future[FileOutcome]] = set()
        while queue or running:
            while queue and len(running) < 2 * max_connections:
                file = queue.popleft()
                running.add(
                    pool.submit(load_archive_file, reader, file, known_checksums.get(file.path))
                )
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                if outcome.status == "not_published":
                    queue.extend(fallback(outcome.file))
                yield outcome
