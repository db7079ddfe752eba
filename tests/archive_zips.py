"""Archive zips as the tests read and rewrite them, with nothing but ``zipfile`` and ``hashlib``:
a file's CSV lines, and a re-issued file with its ``.CHECKSUM``."""

import hashlib
import io
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
