"""The header and rows of an uploaded feedback file: CSV (any common encoding and delimiter) or XLSX.

Decoding and the CSV dialect are those of the customers import (``headway.customers.importing``);
feedback files are allowed to be larger (app-store exports run to hundreds of thousands of rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from headway.customers.importing.reading import ImportFileError, _decode, _delimiter, _size
from headway.insights.models import MAX_NOTE_CHARS

# A cell is kept up to one character past the limit: enough to say "too long" without storing 10 MB.
CELL_KEEP = MAX_NOTE_CHARS + 1


def max_bytes() -> int:
    return int(getattr(settings, "HEADWAY_MAX_FEEDBACK_IMPORT_BYTES", 50 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "HEADWAY_MAX_FEEDBACK_IMPORT_ROWS", 200_000))


def max_size_text() -> str:
    return _size(max_bytes())


@dataclass
class Table:
    columns: list[str]  # the header, made unique and non-empty
    rows: list[list[Any]]  # [[row number in the file (header = 1), [cell, ...]], ...]
    notes: list[str] = field(default_factory=list)


def _header(cells: list[Any]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells, start=1):
        name = str(cell if cell is not None else "").strip().lstrip("\ufeff").strip() or f"Column {position}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        names.append(name[:100])
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _add_rows(table: Table, records: Any, width_hint: int) -> None:
    limit = max_rows()
    for number, record in records:
        cells = [_cell(c) for c in record]
        if not any(c.strip() for c in cells):
            continue  # spreadsheets leave blank lines; they are not rows
        if len(table.rows) >= limit:
            raise ImportFileError(
                f"The file has more than {limit:,} data rows; the limit is {limit:,} per import. "
                "Split it into smaller files."
            )
        cells = [c[:CELL_KEEP] for c in cells]
        if len(cells) < width_hint:
            cells += [""] * (width_hint - len(cells))
        table.rows.append([number, cells[: max(width_hint, 1)]])


def read_csv(data: bytes) -> Table:
    text, notes = _decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    delimiter = _delimiter(text.lstrip().splitlines()[0])
    if delimiter != ",":
        notes.append(f"Columns are separated by {'semicolons' if delimiter == ';' else 'tabs'}.")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a 10 MB cell is a row error, not a crash
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = enumerate(reader, start=1)
    number = 0
    try:
        for number, header in records:  # noqa: B007
            if any(cell.strip() for cell in header):
                break
        else:
            raise ImportFileError("The file is empty.")
        table = Table(columns=_header(header), rows=[], notes=notes)
        _add_rows(table, records, len(table.columns))
        number = table.rows[-1][0] if table.rows else number
    except csv.Error as exc:
        problem = (
            'a cell opened with a double quote (") is never closed'
            if "unexpected end of data" in str(exc)
            else f"{exc} (usually a stray double quote)"
        )
        raise ImportFileError(f"Row {number + 1} could not be read: {problem}. Fix that row and upload again.") from exc
    return table


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportFileError(
            "The file is not a readable Excel workbook (.xlsx). Save it again from your spreadsheet, or as “CSV UTF-8”."
        ) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ImportFileError("The workbook has no sheets.")
        records = enumerate(sheet.iter_rows(values_only=True), start=1)
        for _number, header in records:
            if any(_cell(c).strip() for c in header):
                break
        else:
            raise ImportFileError("The first sheet of the workbook is empty.")
        # Trailing empty header cells are formatting, not columns.
        cells = list(header)
        while cells and not _cell(cells[-1]).strip():
            cells.pop()
        table = Table(columns=_header(cells), rows=[])
        _add_rows(table, records, len(table.columns))
        if len(book.worksheets) > 1:
            table.notes.append(f"Only the first sheet (“{sheet.title}”) was read.")
    finally:
        book.close()
    return table


def read_table(data: bytes, filename: str) -> Table:
    """The table in an uploaded file, or ImportFileError naming what is wrong with the file as a whole."""
    size = len(data)
    if size > max_bytes():
        raise ImportFileError(
            f"The file is {_size(size)}; the limit is {_size(max_bytes())}. Split it into smaller files."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    name = (filename or "").lower()
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "Old Excel workbooks (.xls) cannot be read. Save it as .xlsx or “CSV UTF-8” and upload that file."
        )
    if data.startswith(b"PK\x03\x04"):
        table = read_xlsx(data)
    elif name.endswith(".xlsx"):
        raise ImportFileError(
            "The file is named .xlsx but is not an Excel workbook. Upload the workbook or a CSV file."
        )
    else:
        table = read_csv(data)
    if not table.rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return table
