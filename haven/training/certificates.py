"""Certificate PDFs: wallet-card and letter size, each with a QR code to the
public verification page.

Text is drawn with drawString, which reads no markup, after
haven.core.pdf.plain() has removed control characters; the QR code is a PNG
made by segno.
"""

import io

import segno
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from haven.core.pdf import plain

# ISO/IEC 7810 ID-1, the size of a bank card.
WALLET = (85.6 * mm, 54 * mm)
SIZES = {"wallet": WALLET, "letter": letter}


def qr_png(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return ImageReader(buffer)


def _lines(certificate):
    return {
        "name": plain(certificate.holder_name),
        "topic": plain(str(certificate.topic_label)),
        "date": formats.date_format(certificate.trained_on, "DATE_FORMAT"),
        "trainer": plain(str(certificate.trainer_names)),
        "expires": formats.date_format(certificate.expires_on, "DATE_FORMAT"),
    }


def render(certificate, size, verify_url, language="en"):
    """The certificate as PDF bytes, `size` "wallet" or "letter"."""
    with translation.override(language):
        buffer = io.BytesIO()
        width, height = SIZES[size]
        pdf = canvas.Canvas(buffer, pagesize=(width, height))
        pdf.setTitle(_("Certificate of training"))
        lines = _lines(certificate)
        if size == "wallet":
            _wallet(pdf, lines, verify_url, width, height)
        else:
            _letter(pdf, lines, verify_url, width, height)
        pdf.showPage()
        pdf.save()
        return buffer.getvalue()


def _wallet(pdf, lines, url, width, height):
    margin = 4 * mm
    qr_size = 24 * mm
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, height - margin - 8, _("Overdose response training"))
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(margin, height - margin - 24, lines["name"][:40])
    pdf.setFont("Helvetica", 7)
    y = height - margin - 38
    for text in (
        lines["topic"],
        lines["date"],
        _("Trainer: %(trainer)s") % {"trainer": lines["trainer"]},
        _("Valid until %(date)s") % {"date": lines["expires"]},
    ):
        pdf.drawString(margin, y, text[:48])
        y -= 9
    pdf.drawImage(
        qr_png(url), width - margin - qr_size, margin, qr_size, qr_size, preserveAspectRatio=True
    )
    pdf.setFont("Helvetica", 5)
    pdf.drawString(margin, margin, _("Scan to check this card"))


def _letter(pdf, lines, url, width, height):
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawCentredString(width / 2, height - 2 * inch, _("Certificate of training"))
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 2.8 * inch, _("This certifies that"))
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 3.5 * inch, lines["name"][:60])
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 4.2 * inch, _("completed the training"))
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawCentredString(width / 2, height - 4.8 * inch, lines["topic"])
    pdf.setFont("Helvetica", 12)
    pdf.drawCentredString(
        width / 2,
        height - 5.5 * inch,
        _("on %(date)s, given by %(trainer)s") % lines,
    )
    pdf.drawCentredString(
        width / 2, height - 6 * inch, _("Valid until %(date)s") % {"date": lines["expires"]}
    )
    qr_size = 1.6 * inch
    pdf.drawImage(qr_png(url), (width - qr_size) / 2, 1.6 * inch, qr_size, qr_size)
    pdf.setFont("Helvetica", 9)
    pdf.drawCentredString(width / 2, 1.3 * inch, _("Scan the code to check this certificate:"))
    pdf.drawCentredString(width / 2, 1.1 * inch, plain(url))
