"""Raw CSV files that are not UTF-8: the encoding of each, and the UTF-8 copies dbt reads.

DuckDB's CSV reader reads UTF-8 only (GB18030 and GBK need its `encodings`
extension, which comes from the network). So before dbt runs, the
orchestration decides each raw CSV file's encoding and, for a file that is
not UTF-8, writes a UTF-8 copy that dbt reads instead
(dbt_project/macros/read_raw_files.sql); the build still names the original
file and its line numbers.

A file's encoding is, in this order: its entry under `file_encodings` in the
folder's loyalty_export.yml, the folder's `encoding` there, a UTF-16 byte
order mark at its start (Excel's "Unicode text"), else UTF-8. Nothing else
is guessed: GB18030, GBK and others cannot be told apart reliably, so they
are declared. An undeclared file that is not UTF-8 stops the build with a
message naming the file and the setting (the check is in the macro, at read
time, so it holds for dbt run any way).

Copies are streamed in chunks, line for line (a line of the copy is the
line of the original with the same number), and made again only when the
original's size or modification time changed. A byte the encoding cannot
decode becomes 0xFF in the copy, a byte UTF-8 never has: the CSV reader then
rejects that line, which is quarantined as `unreadable_line_invalid_bytes`
with its line number, like bytes that are not UTF-8 in a UTF-8 file.
"""

from __future__ import annotations

import codecs
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orchestration.raw_files import EXPORT_SETTINGS_FILE, export_settings
from orchestration.settings import Settings

# The list of copies the macro reads, in the copies folder.
MANIFEST_FILE = "manifest.json"
UTF8 = "utf-8"
# Encodings DuckDB reads as UTF-8 (it skips a UTF-8 byte order mark itself).
READ_AS_UTF8 = {UTF8, "utf-8-sig", "ascii"}
CHUNK_CHARACTERS = 1 << 20

_UNDECODABLE = "\udcff"
_INVALID_UTF8_BYTE = b"\xff"


class RawEncodingError(ValueError):
    """A raw folder's encoding settings that cannot be used; the message says what to change."""


def _mark_undecodable(error: UnicodeDecodeError) -> tuple[str, int]:
    return _UNDECODABLE * (error.end - error.start), error.end


def _write_invalid_byte(error: UnicodeEncodeError) -> tuple[bytes, int]:
    return _INVALID_UTF8_BYTE * (error.end - error.start), error.end


codecs.register_error("loyalty_mark_undecodable", _mark_undecodable)
codecs.register_error("loyalty_write_invalid_byte", _write_invalid_byte)


@dataclass(frozen=True)
class FileEncoding:
    """A raw file's encoding (a Python codec name) and what says so."""

    encoding: str
    declared_by: str


def _codec_name(encoding: Any, setting: str) -> str:
    try:
        return codecs.lookup(str(encoding)).name
    except LookupError:
        raise RawEncodingError(
            f"{EXPORT_SETTINGS_FILE}: {setting} {encoding!r} is not an encoding; use a name "
            "such as gb18030, gbk, big5, utf-16 or utf-8 (docs/raw-data-contract.md, "
            '"Encodings").'
        ) from None


def _byte_order_mark_encoding(path: Path) -> str | None:
    with path.open("rb") as handle:
        start = handle.read(2)
    return "utf-16" if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None


def file_encodings(raw_dir: Path, paths: list[Path]) -> dict[Path, FileEncoding]:
    """The encoding of each of these files of the raw folder (see the module's docstring)."""
    settings = export_settings(raw_dir)
    per_file = settings.get("file_encodings") or {}
    if not isinstance(per_file, dict):
        raise RawEncodingError(
            f"{raw_dir / EXPORT_SETTINGS_FILE}: file_encodings must map file names to "
            "encodings, e.g. `file_encodings: {customers_cn.csv: gb18030}`."
        )
    folder = settings.get("encoding")
    if folder is not None:
        folder = _codec_name(folder, "encoding")
    result = {}
    for path in paths:
        if path.name in per_file:
            encoding = _codec_name(per_file[path.name], f"file_encodings of {path.name}")
            result[path] = FileEncoding(encoding, f"{EXPORT_SETTINGS_FILE} (file_encodings)")
        elif folder is not None:
            result[path] = FileEncoding(folder, f"{EXPORT_SETTINGS_FILE} (encoding)")
        elif (detected := _byte_order_mark_encoding(path)) is not None:
            result[path] = FileEncoding(detected, "its byte order mark")
        else:
            result[path] = FileEncoding(UTF8, "the default")
    return result


def transcode(source: Path, encoding: str, target: Path) -> None:
    """Write `source`, read in `encoding`, to `target` as UTF-8, a chunk at a time.

    Line ends are kept as they are; each byte that cannot be decoded becomes
    0xFF (so the CSV reader rejects its line). Written to a temporary file
    and renamed, so a reader never sees half a copy.
    """
    partial = target.with_name(f".{target.name}.partial")
    with (
        source.open("r", encoding=encoding, errors="loyalty_mark_undecodable", newline="") as read,
        partial.open("w", encoding=UTF8, errors="loyalty_write_invalid_byte", newline="") as write,
    ):
        while chunk := read.read(CHUNK_CHARACTERS):
            write.write(chunk)
    os.replace(partial, target)


@dataclass(frozen=True)
class Utf8Copy:
    """The UTF-8 copy of a raw file, and the original's encoding and fingerprint when copied."""

    copy_path: str
    encoding: str
    declared_by: str
    size_bytes: int
    modified_ns: int


def _read_manifest(copies_dir: Path) -> dict[str, Utf8Copy]:
    path = copies_dir / MANIFEST_FILE
    if not path.is_file():
        return {}
    return {
        source: Utf8Copy(**entry)
        for source, entry in json.loads(path.read_text("utf-8"))["files"].items()
    }


def prepare_utf8_copies(raw_dirs: list[Path], copies_dir: Path) -> dict[str, Utf8Copy]:
    """Make sure every raw CSV file that is not UTF-8 has a current UTF-8 copy in copies_dir.

    Returns {original path: copy}, as written to the manifest the dbt macros
    read. Copies no longer needed are removed. Copies are named by the
    original's file name (prefixed by the folder's position when more than
    one folder is read).
    """
    known = _read_manifest(copies_dir)
    copies: dict[str, Utf8Copy] = {}
    for position, raw_dir in enumerate(raw_dirs):
        folder = raw_dir.resolve()
        paths = sorted(path for path in folder.glob("*.csv") if path.is_file())
        for path, found in file_encodings(folder, paths).items():
            if found.encoding in READ_AS_UTF8:
                continue
            prefix = f"{position}_" if len(raw_dirs) > 1 else ""
            copy_path = copies_dir.resolve() / f"{prefix}{path.name}"
            status = path.stat()
            wanted = Utf8Copy(
                str(copy_path),
                found.encoding,
                found.declared_by,
                status.st_size,
                status.st_mtime_ns,
            )
            if known.get(str(path)) != wanted or not copy_path.is_file():
                copies_dir.mkdir(parents=True, exist_ok=True)
                transcode(path, found.encoding, copy_path)
            copies[str(path)] = wanted
    _write_manifest(copies_dir, copies)
    return copies


def utf8_copies(settings: Settings) -> dict[str, Utf8Copy]:
    """prepare_utf8_copies for the raw folder and build warehouse of these settings."""
    return prepare_utf8_copies([settings.raw_dir], settings.raw_utf8_dir)


def _write_manifest(copies_dir: Path, copies: dict[str, Utf8Copy]) -> None:
    if not copies_dir.is_dir():
        return
    wanted = {Path(copy.copy_path).name for copy in copies.values()} | {MANIFEST_FILE}
    for path in copies_dir.iterdir():
        if path.name not in wanted:
            path.unlink()
    partial = copies_dir / f".{MANIFEST_FILE}.partial"
    partial.write_text(
        json.dumps(
            {"files": {source: asdict(copy) for source, copy in sorted(copies.items())}}, indent=2
        ),
        "utf-8",
    )
    os.replace(partial, copies_dir / MANIFEST_FILE)
