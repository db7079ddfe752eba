"""Archive zips as the tests read and rewrite them, with nothing but the standard library: a
file's CSV lines, a re-issued file with its ``.CHECKSUM``, and a re-published corrupt one."""

import hashlib
import io
import struct
import zipfile
from pathlib import Path


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
