"""Text and type for the PDFs Haven prints (reports, brochures, certificates, mail labels).

reportlab's Paragraph reads its text as markup: a site named `<b` breaks the
document and `<img src="/etc/passwd"/>` would embed a file from the server.
Every Paragraph is therefore built by `paragraph()`, which escapes the text,
so that whatever a person typed prints as the letters they typed.

Every PDF uses one embedded font, DejaVu Sans (Debian's fonts-dejavu-core, or
HAVEN_PDF_FONT_DIR): reportlab's built-in Helvetica knows only Western
European letters, so a Vietnamese name or a Cyrillic word printed as black
boxes. A character the font still lacks (an emoji, a Chinese name) is never
printed as a box: a symbol becomes its name in brackets ("[syringe]"), any
other character a "?".
"""

import functools
import io
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
import segno
from django.conf import settings
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from .spreadsheet import CONTROL_CHARACTERS

FONT = "HavenSans"
FONT_BOLD = "HavenSans-Bold"
# The faces of the family: DejaVu Sans, else the Bitstream Vera that reportlab ships
# (DejaVu's Western European ancestor) so that a machine without it still prints.
FACES = {
    FONT: ("DejaVuSans.ttf", "Vera.ttf"),
    FONT_BOLD: ("DejaVuSans-Bold.ttf", "VeraBd.ttf"),
    "HavenSans-Oblique": ("DejaVuSans-Oblique.ttf", "VeraIt.ttf"),
    "HavenSans-BoldOblique": ("DejaVuSans-BoldOblique.ttf", "VeraBI.ttf"),
}
# What joins or modifies an emoji (zero-width joiner, variation selectors, skin tones):
# dropped with the emoji's own name standing in for it.
JOINERS = {"Mn", "Me", "Cf", "Sk"}


def font_files():
    """{face name: path of its TrueType file}."""
    dejavu = Path(settings.HAVEN_PDF_FONT_DIR)
    bundled = Path(reportlab.__file__).parent / "fonts"
    return {
        name: dejavu / wanted if (dejavu / wanted).exists() else bundled / fallback
        for name, (wanted, fallback) in FACES.items()
    }


@functools.cache
def register_fonts():
    """Register Haven's PDF font family with reportlab once; return the regular face."""
    from reportlab.lib.fonts import addMapping

    files = font_files()
    for name, path in files.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    for bold, italic, name in (
        (0, 0, FONT),
        (1, 0, FONT_BOLD),
        (0, 1, "HavenSans-Oblique"),
        (1, 1, "HavenSans-BoldOblique"),
    ):
        addMapping(FONT, bold, italic, name)
    return pdfmetrics.getFont(FONT)


def new_canvas(buffer, pagesize):
    """A reportlab canvas in Haven's font: its first font is Haven's, so that no page
    names a font the PDF does not embed."""
    register_fonts()
    return Canvas(buffer, pagesize=pagesize, initialFontName=FONT)


def new_document(buffer, **options):
    """A flowing document (platypus) in Haven's font, as new_canvas()."""
    register_fonts()
    return SimpleDocTemplate(buffer, initialFontName=FONT, **options)


def _glyphs():
    return register_fonts().face.charToGlyph


def plain(text):
    """`text` as Haven's PDF font can draw it: control characters (NUL among them) removed,
    and each character the font has no glyph for replaced by text, never a black box."""
    text = unicodedata.normalize("NFC", CONTROL_CHARACTERS.sub("", str(text)))
    glyphs = _glyphs()
    if all(ord(character) in glyphs for character in text):
        return text
    out = []
    for character in text:
        if ord(character) in glyphs or character in "\n\t":
            out.append(character)
        elif unicodedata.category(character) in JOINERS:
            continue
        elif unicodedata.category(character).startswith("S"):
            out.append(f"[{unicodedata.name(character, '?').lower()}]")
        else:
            out.append("?")
    return "".join(out)


def paragraph(text, style):
    """A Paragraph that shows `text` literally; never pass markup through here."""
    # Line breaks in data become spaces: a Paragraph flows its text anyway.
    return Paragraph(escape(plain(text)), style)


def term_paragraph(term, text, style):
    """`term` in bold, then `text`, both shown literally (each is escaped)."""
    return Paragraph(f"<b>{escape(plain(term))}</b> {escape(plain(text))}", style)


def stylesheet():
    """reportlab's sample styles, set in Haven's font (headings upright, not italic)."""
    register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        bold = "Bold" in getattr(style, "fontName", "")
        style.fontName = FONT_BOLD if bold else FONT
    return styles


def fit_font_size(text, font, size, width, smallest):
    """The largest size from `size` down to `smallest` at which `text` fits in `width`."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def clip_to_width(text, font, size, width):
    """`text`, cut with an ellipsis if it would run wider than `width`."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_fitted(pdf, x, y, text, *, font, size, width, smallest=None, align="left"):
    """Draw one line of `text` within `width`: smaller type first, then cut with an ellipsis."""
    text = plain(text)
    size = fit_font_size(text, font, size, width, smallest or size)
    text = clip_to_width(text, font, size, width)
    pdf.setFont(font, size)
    if align == "centre":
        pdf.drawCentredString(x, y, text)
    else:
        pdf.drawString(x, y, text)
    return size


def qr_png(url):
    """A QR code of `url` as a PNG file in memory (segno), for a PDF to draw."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer
