"""The user's PATHs as named binary streams (files, folders, .zip and .gz), and decoding.

Archives are streamed member by member, never extracted to disk, so an import reads in
constant memory whatever the archive holds. What an archive (a .zip, or a .gz on its
own) may unpack to is limited whatever its compression ratio: in members
(ARCHIVE_MAX_MEMBERS) and in bytes (ARCHIVE_MAX_UNCOMPRESSED_BYTES), counted as they
are read, so a .gz inside a .zip or a lying header cannot get round it.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from charset_normalizer import from_bytes
from django.conf import settings

from annotate.ingest.records import Rejection

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# Real text compresses 3-20x; a member, or a whole archive, past this ratio (and big
# enough to matter) is a bomb.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 16 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UNSAFE_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveTooBig(OSError):
    """An archive unpacked past ARCHIVE_MAX_UNCOMPRESSED_BYTES while it was read."""


@dataclass(slots=True)
class _Budget:
    """What one archive may still unpack to, shared by all of its members."""

    archive: str
    limit: int
    used: int = 0

    @property
    def spent(self) -> bool:
        return self.used > self.limit

    def take(self, size: int, member: str) -> None:
        self.used += size
        if self.spent:
            raise ArchiveTooBig(
                f"refused: the archive unpacks to more than {_mb(self.limit)}, the "
                f"limit (ARCHIVE_MAX_UNCOMPRESSED_BYTES); reading stopped in {member}, "
                "and no member after it was read"
            )


class _Metered(io.RawIOBase):
    """A stream that charges what is read from it to its archive's budget."""

    def __init__(self, stream: BinaryIO, budget: _Budget, member: str) -> None:
        self.stream, self.budget, self.member = stream, budget, member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        self.budget.take(len(data), self.member)
        buffer[: len(data)] = data
        return len(data)


def _metered(stream: BinaryIO, budget: _Budget, member: str) -> BinaryIO:
    return io.BufferedReader(_Metered(stream, budget, member), buffer_size=64 * 1024)


def _mb(size: int) -> str:
    if size < 1024**2:
        return f"{size:,} bytes"
    whole = size % 1024**2 == 0
    return f"{size / 1024**2:,.0f} MB" if whole else f"{size / 1024**2:,.1f} MB"


@dataclass(slots=True)
class InputFile:
    """One file to read: `name` appears in origins, `format_name` decides the format."""

    name: str
    format_name: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str  # the detected encoding when the file was not UTF-8, else ""


@dataclass(frozen=True, slots=True)
class TextLine:
    """A line of a streamed file (or a piece of a very long one), decoded as UTF-8."""

    number: int
    text: str
    valid_utf8: bool


def file_origin(name: str, line: int = 1) -> str:
    return f"{name}:{line}"


def is_hidden(name: str) -> bool:
    return any(
        part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts
    )


def open_inputs(paths: Iterable[str | Path]) -> Iterator[InputFile | Rejection]:
    """Each path as streams; a stream stays open until the caller asks for the next one."""
    for path in paths:
        name = str(path)
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).as_posix()
                if child.is_file() and not is_hidden(relative):
                    yield from _open_file(child, str(child))
        elif path.is_file():
            yield from _open_file(path, name)
        else:
            yield Rejection(file_origin(name), "no such file or folder")


def _open_file(path: Path, name: str) -> Iterator[InputFile | Rejection]:
    lowered = name.lower()
    if lowered.endswith(".zip"):
        yield from _open_zip(path, name)
    elif lowered.endswith(".gz"):
        budget = _Budget(name, settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES)
        with gzip.open(path, "rb") as stream:
            yield _gzip_input(name, _metered(stream, budget, name))
    else:
        with path.open("rb") as stream:
            yield InputFile(name, name, stream)


def _gzip_input(name: str, stream: BinaryIO) -> InputFile | Rejection:
    inner = name[: -len(".gz")]
    if inner.lower().endswith(".zip"):
        return Rejection(
            file_origin(name), "a .zip inside .gz is not read; unpack it first"
        )
    return InputFile(name, inner, stream)


def _open_zip(path: Path, name: str) -> Iterator[InputFile | Rejection]:
    if problem := _member_count_problem(path):
        yield Rejection(file_origin(name), problem)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield Rejection(file_origin(name), f"not a readable .zip archive ({error})")
        return
    with archive:
        members = sorted(
            (info for info in archive.infolist() if not info.is_dir()),
            key=lambda info: info.filename,
        )
        problem = _bomb_problem(members)
        if problem:
            yield Rejection(file_origin(name), problem)
            return
        budget = _Budget(name, settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES)
        for info in members:
            yield from _open_member(archive, info, f"{name}/{info.filename}", budget)
            if budget.spent:
                return  # the member's reader said so where it stopped


def _member_count_problem(path: Path) -> str:
    """Too many members, told from the archive's end record before its directory is
    read: zipfile holds the whole directory in memory, some 500 bytes a member."""
    limit = settings.ARCHIVE_MAX_MEMBERS
    try:
        with path.open("rb") as stream:
            end = zipfile._EndRecData(stream)  # also reads zip64 end records
    except OSError:
        return ""  # ZipFile says what is wrong with it
    count = end[zipfile._ECD_ENTRIES_TOTAL] if end else 0
    if count > limit:
        return (
            f"refused: the archive holds {count:,} entries, over the limit of "
            f"{limit:,} (ARCHIVE_MAX_MEMBERS); nothing of it was read"
        )
    return ""


def _bomb_problem(members: list[zipfile.ZipInfo]) -> str:
    """What the archive's directory says it unpacks to, checked before anything is
    read (reading checks it again, see _Budget)."""
    total = sum(info.file_size for info in members)
    members_limit = settings.ARCHIVE_MAX_MEMBERS
    bytes_limit = settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES
    if len(members) > members_limit:
        return (
            f"refused: the archive holds {len(members):,} files, over the limit of "
            f"{members_limit:,} (ARCHIVE_MAX_MEMBERS); nothing of it was read"
        )
    if total > bytes_limit:
        return (
            f"refused: the archive would unpack to {_mb(total)}, over the limit of "
            f"{_mb(bytes_limit)} (ARCHIVE_MAX_UNCOMPRESSED_BYTES); nothing of it was read"
        )
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            return (
                f"refused: {info.filename} is compressed {ratio:.0f} to 1, which no "
                "real text is (a zip bomb?)"
            )
    # Many members, each just under the size checked above, add up all the same.
    packed = sum(info.compress_size for info in members)
    ratio = total / max(packed, 1)
    if total > RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
        return (
            f"refused: the archive would unpack {_mb(packed)} into {_mb(total)}, "
            f"{ratio:.0f} to 1, over the limit of {MAX_COMPRESSION_RATIO} to 1 that no "
            "real text reaches (a zip bomb?); nothing of it was read"
        )
    return ""


def _open_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget
) -> Iterator[InputFile | Rejection]:
    member = info.filename
    parts = re.split(r"[/\\]", member)
    if member.startswith(("/", "\\")) or UNSAFE_DRIVE.match(member) or ".." in parts:
        yield Rejection(
            file_origin(name),
            "refused: the archive member's path is absolute or climbs out with '..'",
        )
        return
    if is_hidden(member):
        return
    lowered = member.lower()
    if lowered.endswith(".zip"):
        yield Rejection(
            file_origin(name), "archives inside archives are not read; unpack it first"
        )
        return
    with archive.open(info) as stream:
        if lowered.endswith(".gz"):
            with gzip.GzipFile(fileobj=stream, mode="rb") as inner:
                yield _gzip_input(name, _metered(inner, budget, name))
        else:
            yield InputFile(name, name, _metered(stream, budget, name))


def peek_head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of a stream, and a stream that still starts at the beginning."""
    buffered = io.BufferedReader(_Unread(stream), buffer_size=64 * 1024)
    return buffered.peek(BINARY_SNIFF_BYTES)[:BINARY_SNIFF_BYTES], buffered


class _Unread(io.RawIOBase):
    """A raw stream over another stream, so BufferedReader can add peek and readline."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def binary_problem(head: bytes) -> str:
    if head.startswith(UTF16_BOMS):
        return "the file is UTF-16 text; save it as UTF-8"
    if b"\x00" in head:
        return "binary file, not text"
    return ""


def read_document_text(stream: BinaryIO) -> DecodedText | str:
    """A whole single-document file as text, or the reason it cannot be read."""
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        return (
            f"the file is larger than {MAX_DOCUMENT_BYTES // 1024**2} MB, too big for "
            "one document"
        )
    try:
        return DecodedText(data.decode("utf-8-sig"), "")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
    if best is None:
        return "not valid UTF-8 and no encoding could be detected"
    return DecodedText(str(best), best.encoding)


def iter_text_lines(stream: BinaryIO, max_piece: int) -> Iterator[TextLine]:
    """Lines split on \\n, ends kept; lines longer than `max_piece` bytes come in pieces.

    An undecodable line is given with replacement characters and `valid_utf8=False`, so
    the reader can reject the one record it belongs to and read on.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    number, first = 1, True
    while piece := stream.readline(max_piece):
        if first and piece.startswith(codecs.BOM_UTF8):
            piece = piece[len(codecs.BOM_UTF8) :]
        first = False
        line_ends = piece.endswith(b"\n")
        try:
            yield TextLine(number, decoder.decode(piece, final=line_ends), True)
        except UnicodeDecodeError:
            decoder.reset()
            yield TextLine(number, piece.decode("utf-8", "replace"), False)
        if line_ends:
            number += 1
