"""Certificate PDFs: wallet-card and letter size, each with a QR code to the
public verification page.

Text is drawn with drawString, which reads no markup, after
haven.core.pdf.plain() has removed control characters, in Haven's PDF font; a
line too long for its place is set smaller, then cut, never run off the card.
The QR code is a PNG made by segno.
"""

import io

from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import ImageReader

from haven.core.pdf import FONT, FONT_BOLD, draw_fitted, new_canvas, plain, qr_png

# ISO/IEC 7810 ID-1, the size of a bank card.
WALLET = (85.6 * mm, 54 * mm)
SIZES = {"wallet": WALLET, "letter": letter}


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
        pdf = new_canvas(buffer, (width, height))
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
    text_width = width - 2 * margin
    # The lines beside the QR code stop short of it.
    beside_qr = width - 2 * margin - qr_size - 2 * mm
    draw_fitted(
        pdf,
        margin,
        height - margin - 8,
        _("Overdose response training"),
        font=FONT_BOLD,
        size=9,
        width=text_width,
        smallest=7,
    )
    draw_fitted(
        pdf,
        margin,
        height - margin - 24,
        lines["name"],
        font=FONT_BOLD,
        size=11,
        width=text_width,
        smallest=7,
    )
    y = height - margin - 38
    for text in (
        lines["topic"],
        lines["date"],
        _("Trainer: %(trainer)s") % {"trainer": lines["trainer"]},
        _("Valid until %(date)s") % {"date": lines["expires"]},
    ):
        draw_fitted(pdf, margin, y, text, font=FONT, size=7, width=beside_qr, smallest=5.5)
        y -= 9
    pdf.drawImage(
        ImageReader(qr_png(url)),
        width - margin - qr_size,
        margin,
        qr_size,
        qr_size,
        preserveAspectRatio=True,
    )
    draw_fitted(
        pdf,
        margin,
        margin,
        _("Scan to check this card"),
        font=FONT,
        size=6.5,
        width=beside_qr,
        smallest=5.5,
    )


def _letter(pdf, lines, url, width, height):
    centre, text_width = width / 2, width - 2 * inch
    for text, font, size, top in (
        (_("Certificate of training"), FONT_BOLD, 26, 2),
        (_("This certifies that"), FONT, 14, 2.8),
        (lines["name"], FONT_BOLD, 22, 3.5),
        (_("completed the training"), FONT, 14, 4.2),
        (lines["topic"], FONT_BOLD, 16, 4.8),
        (_("on %(date)s, given by %(trainer)s") % lines, FONT, 12, 5.5),
        (_("Valid until %(date)s") % {"date": lines["expires"]}, FONT, 12, 6),
    ):
        draw_fitted(
            pdf,
            centre,
            height - top * inch,
            text,
            font=font,
            size=size,
            width=text_width,
            smallest=min(size, 10),
            align="centre",
        )
    qr_size = 1.6 * inch
    pdf.drawImage(ImageReader(qr_png(url)), (width - qr_size) / 2, 1.6 * inch, qr_size, qr_size)
    for text, bottom in ((_("Scan the code to check this certificate:"), 1.3), (url, 1.1)):
        draw_fitted(
            pdf,
            centre,
            bottom * inch,
            text,
            font=FONT,
            size=9,
            width=text_width,
            smallest=7,
            align="centre",
        )
