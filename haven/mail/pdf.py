"""The shipping label and packing slip of a mail request, one PDF: label on page 1, slip on page 2.

Drawn on a reportlab canvas, whose drawString() takes text as it is (no
markup); haven.core.pdf.plain() removes the control characters. With
discreet packaging the outside (the label) carries no program name.
"""

import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from haven.core.pdf import plain


def _lines(pdf, x, y, lines, size=12, leading=16):
    pdf.setFont("Helvetica", size)
    for line in lines:
        pdf.drawString(x, y, plain(line)[:90])
        y -= leading
    return y


def label_and_slip(request):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter)
    pdf.setTitle(request.number)
    width, height = letter
    # The label: the return address (no program name when discreet), then the recipient.
    sender = list(settings.MAIL_RETURN_ADDRESS)
    if not request.discreet:
        sender.insert(0, settings.MAIL_PROGRAM_NAME)
    _lines(pdf, inch, height - inch, sender, size=10, leading=13)
    pdf.rect(inch * 1.5, height - 5 * inch, width - 3 * inch, 2.4 * inch)
    _lines(
        pdf,
        inch * 1.8,
        height - 3 * inch,
        [request.label_name, *request.address.splitlines()],
        size=14,
        leading=19,
    )
    pdf.setFont("Helvetica", 8)
    pdf.drawString(inch, height - 5.4 * inch, plain(request.number))
    pdf.showPage()
    # The packing slip, inside the package.
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(
        inch, height - inch, plain(_("Packing slip %(number)s") % {"number": request.number})
    )
    y = _lines(
        pdf,
        inch,
        height - 1.5 * inch,
        [
            settings.MAIL_PROGRAM_NAME,
            _("Packed %(date)s") % {"date": timezone.localdate().isoformat()},
            "",
        ],
    )
    y = _lines(
        pdf,
        inch,
        y,
        [f"{line.quantity} × {line.item}" for line in request.lines.select_related("item")],
    )
    _lines(
        pdf,
        inch,
        y - 20,
        [
            _("If someone will not wake up: call 911, give naloxone, keep them breathing."),
            _("The full guide: /public/mail/guide/"),
        ],
        size=10,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
