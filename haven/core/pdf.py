"""Text and type for the PDFs Haven prints (reports, brochures, certificates, mail labels).

reportlab's Paragraph reads its text as markup: a site named `<b` breaks the
document and `<img src="/etc/passwd"/>` would embed a file from the server.
Every Paragraph is therefore built by `paragraph()`, which escapes the text,
so that whatever a person typed prints as the letters they typed.

Every PDF uses one embedded font, DejaVu Sans (Debian's fonts-dejavu-core, or
HAVEN_PDF_FONT_DIR): reportlab's built-in Helvetica knows only Western
European letters, so a Vietnamese name or a Cyrillic word printed as black
boxes. DejaVu has no Chinese, Japanese or Korean letters: those are drawn in a
fallback font, Droid Sans Fallback (Debian's fonts-droid-fallback; the files
in HAVEN_PDF_FALLBACK_FONTS, first found wins), embedded only in PDFs that
need it. reportlab picks no font per character itself, so every text goes
through `runs()`, which cuts it into pieces each drawn in a font that has its
letters. Without the fallback font (a machine without the package) PDFs print
as they did before it: a character no font has (an emoji; a Chinese name there)
is never printed as a box: a symbol becomes its name in brackets ("[syringe]"),
any other character a "?".

Right-to-left scripts (Arabic, Hebrew) have glyphs in DejaVu but are drawn
left to right and unjoined: reportlab shapes text only with uharfbuzz, which
Haven does not install.
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


def fallback_files():
    """The fallback fonts' TrueType files that exist, in order of preference."""
    return [Path(path) for path in settings.HAVEN_PDF_FALLBACK_FONTS if Path(path).is_file()]


@functools.cache
def register_fallback_fonts():
    """Register each fallback font found, once; return their names, in order."""
    from reportlab.lib.fonts import addMapping

    names = []
    for number, path in enumerate(fallback_files()):
        name = f"HavenFallback{number}"
        pdfmetrics.registerFont(TTFont(name, str(path)))
        # One face: bold or italic text in it (a Paragraph's <b>) is drawn upright.
        for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
            addMapping(name, bold, italic, name)
        names.append(name)
    return tuple(names)


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


def _fallback_for(character):
    """The name of the first fallback font that has `character`, or None."""
    for name in register_fallback_fonts():
        if ord(character) in pdfmetrics.getFont(name).face.charToGlyph:
            return name
    return None


def plain(text):
    """`text` as Haven's PDF fonts can draw it: control characters (NUL among them) removed,
    and each character no font has a glyph for replaced by text, never a black box."""
    text = unicodedata.normalize("NFC", CONTROL_CHARACTERS.sub("", str(text)))
    glyphs = _glyphs()
    if all(ord(character) in glyphs for character in text):
        return text
    out = []
    for character in text:
        if ord(character) in glyphs or character in "\n\t" or _fallback_for(character):
            out.append(character)
        elif unicodedata.category(character) in JOINERS:
            continue
        elif unicodedata.category(character).startswith("S"):
            out.append(f"[{unicodedata.name(character, '?').lower()}]")
        else:
            out.append("?")
    return "".join(out)


def runs(text, font):
    """[(font name, piece)]: `text` (already plain()) cut where the font that has its
    letters changes; `font` for everything it has, a fallback font for the rest."""
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    if all(ord(character) in glyphs for character in text):
        return [(font, text)] if text else []
    pieces = []
    for character in text:
        wanted = font if ord(character) in glyphs else _fallback_for(character) or font
        if pieces and pieces[-1][0] == wanted:
            pieces[-1][1] += character
        else:
            pieces.append([wanted, character])
    return [(name, piece) for name, piece in pieces]


def _marked_up(text):
    """`text` escaped for a Paragraph, with the pieces a fallback font draws set in it."""
    return "".join(
        escape(piece) if name == FONT else f'<font face="{name}">{escape(piece)}</font>'
        for name, piece in runs(plain(text), FONT)
    )


def paragraph(text, style):
    """A Paragraph that shows `text` literally; never pass markup through here."""
    # Line breaks in data become spaces: a Paragraph flows its text anyway.
    return Paragraph(_marked_up(text), style)


def term_paragraph(term, text, style):
    """`term` in bold, then `text`, both shown literally (each is escaped)."""
    return Paragraph(f"<b>{_marked_up(term)}</b> {_marked_up(text)}", style)


def text_width(text, font, size):
    """How wide `text` (already plain()) is drawn by draw_text()."""
    return sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in runs(text, font))


def draw_text(pdf, x, y, text, *, font, size, align="left"):
    """Draw one line of `text` (already plain()) at `size`, each piece in a font that has
    its letters; `align="centre"` centres it on `x`."""
    if align == "centre":
        x -= text_width(text, font, size) / 2
    for name, piece in runs(text, font):
        pdf.setFont(name, size)
        pdf.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, name, size)
    pdf.setFont(font, size)


def wrap(text, font, size, width):
    """`text` (already plain()) cut into lines no wider than `width`: at spaces, and
    between letters where one word is wider (a Chinese address has no spaces)."""
    lines = []
    for word in text.split():
        line = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(line, font, size) <= width:
            lines[-1] = line
            continue
        lines.append("")
        for character in word:
            if lines[-1] and text_width(lines[-1] + character, font, size) > width:
                lines.append("")
            lines[-1] += character
    return lines


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
    while size > smallest and text_width(text, font, size) > width:
        size -= 0.5
    return size


def clip_to_width(text, font, size, width):
    """`text`, cut with an ellipsis if it would run wider than `width`."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_fitted(pdf, x, y, text, *, font, size, width, smallest=None, align="left"):
    """Draw one line of `text` within `width`: smaller type first, then cut with an ellipsis."""
    text = plain(text)
    size = fit_font_size(text, font, size, width, smallest or size)
    text = clip_to_width(text, font, size, width)
    draw_text(pdf, x, y, text, font=font, size=size, align=align)
    return size


def qr_png(url):
    """A QR code of `url` as a PNG file in memory (segno), for a PDF to draw."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer
