"""A report as CSV, XLSX (openpyxl) or PDF (reportlab): the same tables in each."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from haven.core.pdf import paragraph, plain
from haven.core.spreadsheet import csv_writer, xlsx_row

from .standard import status_lines


def _heading(report):
    scope = report.scope
    lines = [
        report.title,
        _("Period: %(start)s to %(end)s") % {"start": scope.start, "end": scope.end},
    ]
    if scope.label:
        lines.append(scope.label)
    lines += status_lines(report)
    lines.append(
        _("Made by Haven on %(when)s") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    )
    return lines


def _rows(table):
    yield from table.rows
    yield from table.notes


def as_csv(report):
    out = io.StringIO()
    writer = csv_writer(out)
    for line in _heading(report):
        writer.writerow([line])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        for label, value in _rows(table):
            writer.writerow([label, value])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(report):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.slug
    bold = Font(bold=True)
    for line in _heading(report):
        xlsx_row(sheet, [line])
    sheet["A1"].font = Font(bold=True, size=14)
    for table in report.tables:
        xlsx_row(sheet, [])
        xlsx_row(sheet, [table.title])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for label, value in _rows(table):
            xlsx_row(sheet, [label, value])
            if label == table.total_label:
                sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.column_dimensions["A"].width = 55
    sheet.column_dimensions["B"].width = 14
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_pdf(report):
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    document = SimpleDocTemplate(
        out,
        pagesize=letter,
        title=plain(report.title),
        author="Haven",
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
    )
    heading, *details = _heading(report)
    story = [paragraph(heading, styles["Title"])]
    story += [paragraph(line, styles["Normal"]) for line in details]
    for table in report.tables:
        story.append(Spacer(1, 0.2 * inch))
        story.append(paragraph(table.title, styles["Heading3"]))
        data = [[paragraph(label, styles["Normal"]), plain(value)] for label, value in _rows(table)]
        if not data:
            continue
        pdf_table = PdfTable(data, colWidths=[4.8 * inch, 1.4 * inch])
        style = [
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if table.total_label:
            total_row = len(table.rows) - 1
            style.append(("FONTNAME", (1, total_row), (1, total_row), "Helvetica-Bold"))
        pdf_table.setStyle(TableStyle(style))
        story.append(pdf_table)
    document.build(story)
    return out.getvalue()


FORMATS = {
    "csv": ("text/csv; charset=utf-8", as_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", as_xlsx),
    "pdf": ("application/pdf", as_pdf),
}
