"""Text for the PDFs Haven prints (reports, brochures), made with reportlab.

reportlab's Paragraph reads its text as markup: a site named `<b` breaks the
document and `<img src="/etc/passwd"/>` would embed a file from the server.
Every Paragraph is therefore built by `paragraph()`, which escapes the text,
so that whatever a person typed prints as the letters they typed.
"""

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from .spreadsheet import CONTROL_CHARACTERS


def plain(text):
    """`text` as a string reportlab can draw: control characters (NUL among them) removed."""
    return CONTROL_CHARACTERS.sub("", str(text))


def paragraph(text, style):
    """A Paragraph that shows `text` literally; never pass markup through here."""
    # Line breaks in data become spaces: a Paragraph flows its text anyway.
    return Paragraph(escape(plain(text)), style)
