"""The report as tables, written as CSV (one table, a `section` column) or XLSX (one sheet per section).
XLSX is written with openpyxl: Excel and WPS are strict about the package format, and a library that
many projects exercise is safer than our own zip of XML parts."""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from reports.figures import Report, Row

SECTIONS = {
    "total": gettext_lazy("Hall"),
    "service": gettext_lazy("Services"),
    "counter": gettext_lazy("Counters"),
    "staff": gettext_lazy("Staff"),
    "day": gettext_lazy("Days"),
    "hour": gettext_lazy("Hours"),
}


def header() -> list[str]:
    return [
        _("section"),
        _("name"),
        _("issued"),
        _("served"),
        _("no-shows"),
        _("materials missing"),
        _("mean wait (min)"),
        _("median wait (min)"),
        _("90th percentile wait (min)"),
        _("mean handling (min)"),
        _("median handling (min)"),
        _("90th percentile handling (min)"),
        _("waited less than the target (%)"),
        _("open time (min)"),
        _("idle time (min)"),
        _("ratings"),
        _("average rating"),
        _("needed another visit (%)"),
        _("Booked for the next open day at closing"),
        _("Not finished when the day ended"),
    ]


def _number(value, digits=1):
    return "" if value is None else round(value, digits)


def _row(section: str, label: str, r: Row, no_show: int | None = None) -> list:
    return [
        section,
        label,
        r.issued,
        r.served,
        r.no_show if no_show is None else no_show,
        r.materials_missing,
        _number(r.wait.mean),
        _number(r.wait.p50),
        _number(r.wait.p90),
        _number(r.handling.mean),
        _number(r.handling.p50),
        _number(r.handling.p90),
        _number(r.sla_percent),
        _number(r.open_minutes),
        _number(r.idle_minutes),
        r.ratings.count,
        _number(r.ratings.average, 2),
        _number(r.repeat_percent),
        r.rebooked,
        r.day_ended,
    ]


def rows(report: Report) -> list[list]:
    result = [_row("total", str(report.hall), report.total, report.no_show)]
    for section, items in (
        ("service", report.by_service),
        ("counter", report.by_counter),
        ("staff", report.by_staff),
    ):
        result += [_row(section, r.label, r) for r in items]
    if report.days > 1:
        result += [_row("day", r.key.isoformat(), r) for r in report.by_day]
    empty = [""] * (len(header()) - 4)
    result += [
        ["hour", f"{hour:02d}:00", arrivals, served, *empty] for hour, arrivals, served in report.hours
    ]
    return result


def filename(report: Report, extension: str) -> str:
    period = report.first.isoformat()
    if report.last != report.first:
        period += "_" + report.last.isoformat()
    return f"report_{report.hall.slug}_{period}.{extension}"


# A text cell that a spreadsheet would read as a formula (CSV injection: a staff, service or counter name such
# as =HYPERLINK(...) runs when the export is opened). OWASP's advice: such a text starts with a quote in CSV;
# in XLSX it is stored as a text cell, shown exactly as typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell):
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


def _xlsx_cell(sheet, cell):
    if cell == "":
        return None
    if not isinstance(cell, str):
        return cell
    text = WriteOnlyCell(sheet, value=cell)
    text.data_type = "s"  # openpyxl makes a formula of any text that starts with "="
    return text


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel and WPS read UTF-8 only with a byte-order mark
    writer = csv.writer(buffer)
    writer.writerow(header())
    writer.writerows([_csv_cell(cell) for cell in line] for line in rows(report))
    return buffer.getvalue()


def to_xlsx(report: Report) -> bytes:
    book = Workbook(write_only=True)
    titles = header()
    by_section: dict[str, list] = {}
    for line in rows(report):
        by_section.setdefault(line[0], []).append(line[1:])
    for section, lines in by_section.items():
        sheet = book.create_sheet(str(SECTIONS[section])[:31])
        sheet.append(titles[1:])
        for line in lines:
            sheet.append([_xlsx_cell(sheet, cell) for cell in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
