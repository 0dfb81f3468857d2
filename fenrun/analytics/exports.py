"""CSV and Excel downloads of any report table, streamed.

CSV rows go to the client as they are produced (StreamingHttpResponse over a generator); Excel
files are written with openpyxl's write-only mode, which keeps one row in memory at a time and
spools the sheet to a temporary file, then sent in chunks (FileResponse). A 100,000-member
downline export therefore never builds the table in memory.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from fenrun.core.spreadsheet import safe_text

FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    title: str
    filename: str  # without extension
    header: list[str]
    rows: Iterable[list]


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return str(value)
    return safe_text(value)


def _xlsx_value(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, int, Decimal, float)) and not isinstance(value, bool):
        return value
    return safe_text(value)


class _Echo:
    def write(self, value):
        return value


def csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel open the file as UTF-8 (Chinese names stay readable).
    yield "\ufeff" + writer.writerow([force_str(h) for h in table.header])
    for row in table.rows:
        yield writer.writerow([_csv_value(v) for v in row])


def csv_response(table: Table) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.filename}.csv"'
    return response


def write_xlsx(table: Table, target) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=force_str(table.title)[:31] or "Sheet")
    bold = Font(bold=True)
    header = []
    for h in table.header:
        cell = WriteOnlyCell(sheet, value=force_str(h))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_xlsx_value(v) for v in row])
    workbook.save(target)


def xlsx_response(table: Table) -> FileResponse:
    spool = tempfile.TemporaryFile()
    write_xlsx(table, spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{table.filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(table: Table, fmt: str):
    return xlsx_response(table) if fmt == "xlsx" else csv_response(table)
