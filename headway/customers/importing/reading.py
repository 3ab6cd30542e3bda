"""Reading an uploaded CSV file: size, encoding, delimiter, header and rows (no database)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from headway.core.errors import ValidationFailed
from headway.customers.models import ImportKind

COLUMNS: dict[str, dict[str, list[str]]] = {
    ImportKind.COMPANIES: {
        "required": ["name"],
        "optional": ["domain", "segment", "tier", "arr", "currency", "health"],
    },
    ImportKind.CONTACTS: {"required": ["name", "email", "company"], "optional": ["role"]},
}
# Columns our own exports add; reading an export back in ignores them without a note.
EXPORT_ONLY = {"id", "archived", "created_at", "updated_at", "company_domain"}


def max_rows() -> int:
    return int(getattr(settings, "HEADWAY_MAX_IMPORT_ROWS", 10_000))


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be imported (the message says why and what to do)."""

    def __init__(self, message: str):
        super().__init__(message, fields={"file": [message]})


@dataclass
class ParsedFile:
    columns: list[str]  # the recognised columns, in file order
    rows: list[list[Any]]  # [row number, {column: cell}, extra non-empty cells]
    notes: list[str] = field(default_factory=list)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def max_size_text() -> str:
    return _size(settings.HEADWAY_MAX_IMPORT_BYTES)


def check_size(size: int) -> None:
    limit = settings.HEADWAY_MAX_IMPORT_BYTES
    if size > limit:
        raise ImportFileError(f"The file is {_size(size)}; the limit is {_size(limit)}. Split it into smaller files.")


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file starts like UTF-16 text but is not. Save it as “CSV UTF-8”.") from exc
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            "This is not a CSV text file (it contains binary data; is it an Excel workbook?). "
            "In your spreadsheet choose File → Save as → “CSV UTF-8” and upload that file."
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            bad = data[utf8_error.start]
            raise ImportFileError(
                f"The file is not UTF-8 text (byte 0x{bad:02X} at position {utf8_error.start + 1} is not valid "
                "UTF-8) and not Windows-1252 either. Save it as “CSV UTF-8” and upload it again."
            ) from utf8_error
        return text, [
            "The file is not UTF-8, so it was read as Windows-1252 (what older Excel versions save). "
            "Check that accented letters look right below; if not, save the file as “CSV UTF-8”."
        ]


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def parse_csv(data: bytes, *, kind: str) -> ParsedFile:
    """The rows of an uploaded file, or ImportFileError naming what is wrong with the file."""
    check_size(len(data))
    if not data.strip():
        raise ImportFileError("The file is empty.")
    text, notes = _decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    delimiter = _delimiter(text.lstrip().splitlines()[0])
    if delimiter != ",":
        notes.append(f"Columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    spec = COLUMNS[kind]
    records = enumerate(reader, start=1)  # a spreadsheet's row numbers: the header is row 1
    number = 0
    try:
        for number, header in records:  # noqa: B007 (number is read after the loop, for errors)
            if any(cell.strip() for cell in header):  # skip blank lines before the header
                break
        else:
            raise ImportFileError("The file is empty.")
        names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
        _check_header(names, spec)
        known = set(spec["required"]) | set(spec["optional"])
        ignored = [n for n in names if n and n not in known and n not in EXPORT_ONLY]
        if ignored:
            notes.append(f"Ignored columns: {', '.join(ignored)}.")
        rows: list[list[Any]] = []
        for number, record in records:
            if not any(cell.strip() for cell in record):
                continue  # spreadsheets leave blank lines; they are not rows
            if len(rows) >= max_rows():
                raise ImportFileError(
                    f"The file has more than {max_rows():,} data rows; the limit is {max_rows():,} per import. "
                    "Split it into smaller files."
                )
            cells = {name: record[i] if i < len(record) else "" for i, name in enumerate(names) if name in known}
            extra = sum(1 for cell in record[len(names) :] if cell.strip())
            rows.append([number, cells, extra])
    except csv.Error as exc:
        problem = (
            'a cell opened with a double quote (") is never closed'
            if "unexpected end of data" in str(exc)
            else f"{exc} (usually a stray double quote)"
        )
        raise ImportFileError(f"Row {number + 1} could not be read: {problem}. Fix that row and upload again.") from exc
    if not rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return ParsedFile(columns=[n for n in names if n in known], rows=rows, notes=notes)


def _check_header(names: list[str], spec: dict[str, list[str]]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name and name in seen:
            raise ImportFileError(f"Column “{name}” appears twice in the header (columns {seen[name]} and {position}).")
        seen[name] = position
    missing = [name for name in spec["required"] if name not in seen]
    if missing:
        found = ", ".join(n for n in names if n) or "none"
        raise ImportFileError(
            f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"Found columns: {found}. The first row must name the columns: "
            f"{', '.join(spec['required'] + spec['optional'])}."
        )
