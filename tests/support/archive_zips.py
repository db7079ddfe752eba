"""Archive zips as the tests read and rewrite them, with ``zipfile`` and ``hashlib`` alone: a
file's CSV lines, a re-issued file with its ``.CHECKSUM``, a re-published corrupt one; and a
small archive folder written by the demo's mirror generator."""

import hashlib
import io
import struct
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from demo.exchange.mirror import write_mirror

DAY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"
"""A daily file of the one-symbol archive, for tests that rewrite it."""
SOURCE = {
    "markets": ["spot"],
    "symbols": ["BTCUSDT"],
    "intervals": ["1m"],
    "start_date": "2025-01-01",
    "end_date": "2025-01-03",
    "spot_api_url": "",
    "usdm_api_url": "",
    "ccxt_exchanges": {},
}
"""Exchange source arguments that read the one-symbol archive's files of 2025-01-01 and 02
alone (no REST tail, no ccxt)."""


def csv_lines(path: Path) -> list[bytes]:
    """The lines of the only member of a zip."""
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        return archive.read(member).splitlines()


def zip_bytes(member: str, csv: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, csv)
    return buffer.getvalue()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksum(path: Path) -> None:
    path.with_name(path.name + ".CHECKSUM").write_text(f"{sha256_of(path)}  {path.name}\n")


def write_zip_with_checksum(path: Path, lines: list[bytes]) -> None:
    """Replace an archive zip by one holding ``lines``, with a correct ``.CHECKSUM``."""
    path.write_bytes(zip_bytes(path.stem + ".csv", b"\n".join(lines) + b"\n"))
    write_checksum(path)


def member_data_offset(content: bytes | bytearray) -> int:
    """Where the compressed data of a zip's only member starts (after its local header)."""
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        (member,) = archive.infolist()
    name_length, extra_length = struct.unpack_from("<HH", content, member.header_offset + 26)
    return member.header_offset + 30 + name_length + extra_length


def corrupt_deflate_data(path: Path) -> None:
    """Break the compressed data of a zip's only member, keeping its headers and CRC, and
    write a ``.CHECKSUM`` of the broken bytes (a re-published bad file): the first deflate
    block gets the reserved block type, which zlib refuses ("invalid block type")."""
    content = bytearray(path.read_bytes())
    content[member_data_offset(content)] |= 0b110
    path.write_bytes(bytes(content))
    write_checksum(path)


def one_symbol_archive(folder: Path, start: date, markets: Sequence[str] = ("spot",)) -> Path:
    """An archive folder of BTCUSDT one-minute files from ``start`` up to 2025-01-04 12:00."""
    write_mirror(
        folder,
        symbols=("BTCUSDT",),
        start=start,
        now=datetime(2025, 1, 4, 12, tzinfo=UTC),
        markets=tuple(markets),
        intervals=("1m",),
    )
    return folder
