"""Zipped inputs, read without extracting and within a size bound.

A CSV, a Shapefile (with its .dbf/.shx/.prj), a GeoPackage, GeoJSON or GPX inside a
``.zip``, as the public portals ship them (MarineCadastre's ``AIS_2022_01_01.zip``
holds one CSV; the Danish Maritime Authority's ``aisdk-2024-01-01.zip`` one CSV of 2-3 GB;
Natural Earth and most GIS portals zip Shapefiles).

Nothing is extracted to disk.  A table member is read into memory, a vector member is opened
through GDAL's ``/vsizip/``.  Before either, the members' declared uncompressed sizes are added
up and compared with ``max_uncompressed_mb``: a zip bomb is refused in one line without being
expanded (Python's :mod:`zipfile` never reads past a member's declared size, so the declared
size is a real bound).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..errors import SourceUnreadable

__all__ = [
    "ZIP_READ_ERRORS",
    "COMPRESSION_SUFFIXES",
    "ZipMember",
    "check_zip_expansion",
    "is_junk_member",
    "open_zip_member",
    "read_compressed",
    "FILE_NAME_RULE",
    "safe_file_stem",
    "source_stem",
]

#: ERDDAP names its tables by their header: ``.csvp``/``.tsvp`` (units in the header),
#: ``.csv0``/``.tsv0`` (no header line at all).
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".tab", ".csvp", ".tsvp", ".csv0", ".tsv0")
#: Members read as bytes by our own parsers (GPX, JSON Lines), not through GDAL.
BYTES_SUFFIXES = (".gpx", ".plt", ".nmea", ".jsonl", ".ndjson")
VECTOR_SUFFIXES = (
    ".shp",
    ".gpkg",
    ".fgb",
    ".geojson",
    ".json",
    ".gpx",
    ".parquet",
    ".geoparquet",
)
_SHP_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")


#: What reading a zip member raises when the archive is damaged: a corrupt deflate stream
#: is ``zlib.error`` (neither OSError nor BadZipFile: it ended a run in a traceback, exit 70,
#: where a damaged file is refused in one line), a cut one ``EOFError``.
ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    zlib.error,
)


def read_member(path: Path, member: str, limit: int | None = None) -> bytes:
    """Return a zip member's bytes, or its first ``limit`` bytes (its size was bounded first).

    Raises
    ------
    SourceUnreadable
        The member cannot be read (a damaged archive).
    """
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
            return fh.read() if limit is None else fh.read(limit)
    except (*ZIP_READ_ERRORS, KeyError) as exc:
        raise SourceUnreadable(
            f"{path.name}: cannot read {member!r} from the archive: {exc}"
        ) from exc


@dataclass
class ZipMember:
    """The member of a zip to read.

    Attributes
    ----------
    name : str
        Member path inside the archive.
    suffix : str
        Its lower-case suffix (``.csv``, ``.shp``, ...).
    data : bytes or None
        The member's bytes, for table members (read within the size bound).
    vsi : str or None
        A GDAL ``/vsizip/`` path, for vector members.
    declared_mb : float
        Declared uncompressed size of what is read (the member and its sidecars).
    """

    name: str
    suffix: str
    data: bytes | None
    vsi: str | None
    declared_mb: float


def _is_link(info: zipfile.ZipInfo) -> bool:
    """Whether a member is a symbolic link (``zip --symlinks``: Unix mode in its attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def is_junk_member(info: zipfile.ZipInfo) -> bool:
    """Whether a zip member is a folder or the archiver's own (``__MACOSX/``, ``._name``)."""
    parts = PurePosixPath(info.filename).parts
    return (
        info.is_dir()
        or any(p.startswith("__MACOSX") for p in parts)
        or PurePosixPath(info.filename).name.startswith(("._", "."))
    )


def _same_path(name: str, path: str, n: int) -> str:
    """Say the refusal of a zip holding one path several times (no ``member:`` tells them apart)."""
    return (
        f"{name}: holds {n} entries of the same path {path!r} (a file added to the zip "
        "again): which one is meant is unknown and member: cannot tell them apart; unzip it "
        "and read the file you mean"
    )


def open_zip_member(
    path: Path,
    *,
    max_uncompressed_mb: float,
    member: str | None = None,
    accept: tuple[str, ...] = TABLE_SUFFIXES + VECTOR_SUFFIXES,
) -> ZipMember:
    """Pick the one data member of a zip and return its bytes or its ``/vsizip/`` path.

    Parameters
    ----------
    path : Path
        The ``.zip`` file.
    max_uncompressed_mb : float
        Refuse when what would be read declares more than this many MiB uncompressed.
    member : str, optional
        The member to read when the zip holds several (its path or file name).
    accept : tuple of str
        Suffixes that count as data members.

    Raises
    ------
    SourceUnreadable
        Not a zip, encrypted, no data member, several without ``member``, or over the bound.
    """
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceUnreadable(f"{name}: not a readable zip archive: {exc}") from exc
    with zf:
        infos = [i for i in zf.infolist() if not is_junk_member(i)]
        data = [i for i in infos if PurePosixPath(i.filename).suffix.lower() in accept]
        if member is not None:
            # its path, else its file name: a name two folders hold ('2019/data.csv' and
            # '2020/data.csv') picks neither (the first one was read, unsaid)
            chosen = [i for i in data if i.filename == member] or [
                i for i in data if PurePosixPath(i.filename).name == member
            ]
            if not chosen:
                raise SourceUnreadable(
                    f"{name}: member {member!r} not found; the archive holds "
                    f"{[i.filename for i in infos][:20]!r}"
                )
            if len(chosen) > 1 and len({i.filename for i in chosen}) == 1:
                raise SourceUnreadable(_same_path(name, chosen[0].filename, len(chosen)))
            if len(chosen) > 1:
                raise SourceUnreadable(
                    f"{name}: member {member!r} names {len(chosen)} files "
                    f"{[i.filename for i in chosen][:20]!r}; set member: to the path of one"
                )
            data = chosen
        if not data:
            inner = [i for i in infos if i.filename.lower().endswith(".zip")]
            what = "a zip inside a zip; unzip the outer one" if inner else "no data file"
            raise SourceUnreadable(
                f"{name}: {what} (expected one of {', '.join(accept)}); it holds "
                f"{[i.filename for i in infos][:20]!r}"
            )
        if len(data) > 1 and len({i.filename for i in data}) == 1:
            raise SourceUnreadable(_same_path(name, data[0].filename, len(data)))
        if len(data) > 1:
            raise SourceUnreadable(
                f"{name}: holds {len(data)} data files {[i.filename for i in data][:20]!r}; "
                "set member: <one of them> for this input"
            )
        info = data[0]
        suffix = PurePosixPath(info.filename).suffix.lower()
        stem = str(PurePosixPath(info.filename).with_suffix(""))
        group = [info]
        if suffix == ".shp":
            group += [
                i
                for i in infos
                if str(PurePosixPath(i.filename).with_suffix("")) == stem
                and PurePosixPath(i.filename).suffix.lower() in _SHP_SIDECARS
            ]
            have = {PurePosixPath(i.filename).suffix.lower() for i in group}
            missing = [s for s in (".shx", ".dbf") if s not in have]
            if missing:
                raise SourceUnreadable(
                    f"{name}: Shapefile {info.filename!r} lacks {missing!r} in the archive "
                    "(a Shapefile needs .shp, .shx and .dbf; .prj gives its CRS)"
                )
        if any(i.flag_bits & 0x1 for i in group):
            raise SourceUnreadable(f"{name}: member {info.filename!r} is encrypted")
        links = [i.filename for i in group if _is_link(i)]
        if links:  # its bytes are a path, not data: read as a file it gave "no records"
            raise SourceUnreadable(
                f"{name}: member {links[0]!r} is a symbolic link, not a file: links in an "
                "archive are never followed; zip the file itself"
            )
        declared = sum(i.file_size for i in group) / 2**20
        if declared > max_uncompressed_mb:
            raise SourceUnreadable(
                f"{name}: {info.filename!r} expands to {declared:,.0f} MiB, above "
                f"ingest.max_uncompressed_mb={max_uncompressed_mb:g}; raise the limit if the "
                "file is genuine"
            )
        if suffix in TABLE_SUFFIXES + BYTES_SUFFIXES:
            try:
                blob = zf.read(info)
            except ZIP_READ_ERRORS as exc:
                raise SourceUnreadable(
                    f"{name}: cannot read {info.filename!r} from the archive: {exc}"
                ) from exc
            return ZipMember(info.filename, suffix, blob, None, declared)
        return ZipMember(info.filename, suffix, None, f"/vsizip/{path}/{info.filename}", declared)


#: Single-file compression by suffix: the file inside is named by the suffix before it
#: (``ais.csv.gz``).  zstd through pyarrow's codec, the others from the standard library.
COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}
_BLOCK = 16 << 20


#: The Unicode categories never written into a file name made from an input's name: control
#: (a newline, ESC), format (bidi overrides, zero-width), surrogate (a byte that is not
#: UTF-8) and line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

#: The longest stem (UTF-8 bytes) of such a name: ``tracks-<stem>-2.csv`` stays within 255.
_MAX_STEM_BYTES = 200

#: How a file name route-risk makes from an input's name (``rejects/<kind>-<stem>.csv``) is
#: made safe (:func:`safe_file_stem`), as the manifest's notes state it where it applies.
FILE_NAME_RULE = (
    "each control, format (bidi override, zero-width) or line-separator character, each byte "
    "that is not UTF-8, and each '%' is written as %XX, its UTF-8 bytes (reversible); a stem "
    f"over {_MAX_STEM_BYTES} bytes is cut and ends in '~' and 16 hex digits of its sha256"
)


def safe_file_stem(stem: str) -> str:
    r"""Return ``stem`` as a file name route-risk may write: no control or bidi character.

    A name taken from an input file (its rejects file) would otherwise carry a newline, an
    escape sequence or a bidi override (U+202E) into the output folder, the manifest and
    the summary.  Each such character - categories Cc, Cf, Cs (a byte that is not UTF-8,
    as :func:`os.fsdecode` gives it), Zl, Zp - and each ``%`` is written as ``%XX`` of its
    UTF-8 bytes (the byte itself for one that is not UTF-8), so two names never give one
    and the original is read back by percent-decoding; anything else is kept as it is.  A
    result over :data:`_MAX_STEM_BYTES` bytes is cut and ends in ``~`` and 16 hex digits
    of the sha256 of the name, so the file name stays within a file system's 255 bytes.

    Examples
    --------
    >>> safe_file_stem("ais"), safe_file_stem("a\nb\u202e"), safe_file_stem("100%")
    ('ais', 'a%0Ab%E2%80%AE', '100%25')
    """
    import hashlib
    import unicodedata

    parts = []
    for ch in stem:
        if ch == "%" or unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            raw = ch.encode("utf-8", "surrogateescape")
            parts.append("".join(f"%{b:02X}" for b in raw))
        else:
            parts.append(ch)
    safe = "".join(parts)
    if len(safe.encode("utf-8", "surrogateescape")) <= _MAX_STEM_BYTES:
        return safe
    tag = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    kept, size = [], 0
    for part in parts:  # whole characters and whole %XX groups only
        size += len(part.encode("utf-8"))
        if size > _MAX_STEM_BYTES - len(tag) - 1:
            break
        kept.append(part)
    return "".join(kept) + "~" + tag


def source_stem(path: str | Path, *, safe: bool = True) -> str:
    """Return the name of an input file without its format and compression suffixes.

    ``ais.csv.gz`` gives ``ais`` (not ``ais.csv``), ``seizures.csv`` ``seizures`` and
    ``2024.01.02.csv`` ``2024.01.02``: the rejects file of an input is named by it, so it
    is made safe for a file name (:func:`safe_file_stem`) unless ``safe`` is False.

    Examples
    --------
    >>> source_stem("feed/ais.csv.gz"), source_stem("2024.01.02.csv")
    ('ais', '2024.01.02')
    """
    path = Path(path)
    if path.suffix.lower() in COMPRESSION_SUFFIXES:
        path = Path(path.stem)
    stem = path.stem or path.name
    return safe_file_stem(stem) if safe else stem


def open_compressed(path: Path, codec: str) -> Any:
    """Open a ``.gz``/``.bz2``/``.xz``/``.zst`` file as a binary stream of its decompressed bytes."""
    import bz2
    import gzip
    import lzma

    if codec == "zstd":
        import pyarrow as pa

        return pa.CompressedInputStream(pa.OSFile(str(path)), "zstd")
    if codec == "gzip":
        return gzip.open(path, "rb")
    if codec == "bz2":
        return bz2.open(path, "rb")
    return lzma.open(path, "rb")


def read_compressed_head(path: Path, codec: str, n_bytes: int) -> bytes:
    """Return the first ``n_bytes`` decompressed bytes of a compressed file (a bounded read).

    Raises
    ------
    SourceUnreadable
        A stream that cannot be decompressed.
    """
    try:
        with open_compressed(path, codec) as stream:
            return bytes(stream.read(n_bytes))
    except Exception as exc:  # zlib/lzma/pyarrow errors: a damaged stream, said as such
        raise SourceUnreadable(f"{path.name}: cannot decompress ({codec}): {exc}") from None


def read_compressed(path: Path, codec: str, max_uncompressed_mb: float) -> bytes:
    """Return the decompressed bytes of a ``.gz``/``.bz2``/``.xz``/``.zst`` file, bounded.

    The stream is read a block at a time and refused as soon as it passes
    ``max_uncompressed_mb`` (a gzip's stored size is modulo 4 GiB, a bomb's can lie), so the
    memory never exceeds the bound.

    Raises
    ------
    SourceUnreadable
        A corrupt or truncated stream, or one expanding beyond the bound.
    """
    import lzma

    name = path.name
    limit = max_uncompressed_mb * 2**20
    parts: list[bytes] = []
    size = 0
    try:
        with open_compressed(path, codec) as stream:
            while block := stream.read(_BLOCK):
                size += len(block)
                if size > limit:
                    raise SourceUnreadable(
                        f"{name}: expands to more than {max_uncompressed_mb:g} MiB, above "
                        f"ingest.max_uncompressed_mb={max_uncompressed_mb:g}; raise the limit if "
                        "the file is genuine"
                    )
                parts.append(block)
    except SourceUnreadable:
        raise
    except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
        raise SourceUnreadable(f"{name}: cannot decompress ({codec}): {exc}") from None
    except Exception as exc:  # pyarrow's codec errors (ArrowInvalid, ArrowIOError)
        raise SourceUnreadable(f"{name}: cannot decompress ({codec}): {exc}") from None
    return b"".join(parts)


def check_zip_expansion(
    path: Path | str | IO[bytes], label: str, max_uncompressed_mb: float
) -> None:
    """Refuse a zip-based file (a workbook, a KMZ) whose members declare more than the bound.

    ``path`` is the file or its bytes (a KMZ read from a zip); ``label`` starts the
    message (``"book.xlsx: the workbook"``).
    """
    with zipfile.ZipFile(path) as zf:
        declared = sum(i.file_size for i in zf.infolist()) / 2**20
    if declared > max_uncompressed_mb:
        raise SourceUnreadable(
            f"{label} expands to {declared:,.0f} MiB, above "
            f"ingest.max_uncompressed_mb={max_uncompressed_mb:g}; raise the limit if the file "
            "is genuine"
        )
