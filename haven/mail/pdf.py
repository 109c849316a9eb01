"""The shipping label and packing slip of a mail request, one PDF: label on page 1, slip on page 2.

Drawn on a reportlab canvas, whose drawString() takes text as it is (no
markup); haven.core.pdf.plain() removes the control characters. Lines are
wrapped to the label's box and the page's margins, in Haven's PDF fonts. With
discreet packaging the outside (the label) carries no program name.
"""

import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch

from haven.core.pdf import FONT, FONT_BOLD, draw_fitted, draw_text, new_canvas, plain, wrap

# The text's width on the page: an inch of margin each side.
TEXT_WIDTH = letter[0] - 2 * inch
# The recipient's box on the label, and the text inside it.
BOX_WIDTH = letter[0] - 3 * inch
BOX_TEXT_WIDTH = BOX_WIDTH - 0.6 * inch


def _lines(pdf, x, y, lines, size=12, leading=16, width=TEXT_WIDTH):
    """Draw `lines` from `y` down, each wrapped within `width`; return the next line's y."""
    for line in lines:
        for part in wrap(plain(line), FONT, size, width) or [""]:
            draw_text(pdf, x, y, part, font=FONT, size=size)
            y -= leading
    return y


def label_and_slip(request, guide_url):
    """The label and the slip as PDF bytes; `guide_url` is the public guide's full address."""
    buffer = io.BytesIO()
    pdf = new_canvas(buffer, letter)
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
        width=BOX_TEXT_WIDTH,
    )
    draw_text(pdf, inch, height - 5.4 * inch, plain(request.number), font=FONT, size=8)
    pdf.showPage()
    # The packing slip, inside the package.
    draw_fitted(
        pdf,
        inch,
        height - inch,
        _("Packing slip %(number)s") % {"number": request.number},
        font=FONT_BOLD,
        size=16,
        width=TEXT_WIDTH,
        smallest=10,
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
            _("The full guide: %(url)s") % {"url": guide_url},
        ],
        size=10,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
