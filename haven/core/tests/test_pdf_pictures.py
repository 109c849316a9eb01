"""Haven's PDF type (haven/core/pdf.py) and the picture checks every PDF test uses."""

import io

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from haven.core import pdf
from haven.core.tests.pdf_pictures import assert_printable, page_text, qr_codes


def drawn(*strings, font=pdf.FONT, pages=1):
    """A letter-size PDF with each (x, y, text) drawn, on `pages` pages."""
    pdf.register_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter, initialFontName=font)
    for _number in range(pages):
        page.setFont(font, 12)
        for x, y, text in strings:
            page.drawString(x, y, text)
        page.showPage()
    page.save()
    return out.getvalue()


def test_a_clean_page_passes():
    assert_printable(drawn((72, 700, "Naloxone: give one spray, wait 2 to 3 minutes.")))


@pytest.mark.parametrize(
    ("strings", "problem"),
    [
        ([(500, 700, "An address too long for the label runs off the page")], "text outside"),
        ([(2, 700, "At the very edge")], "ink in the left edge"),
        ([(72, 700, "First line"), (80, 703, "drawn over it")], "text drawn over text"),
        ([(72, 700, "A line"), (72, 694, "with too little leading")], "text drawn over text"),
    ],
)
def test_the_picture_check_catches_real_defects(strings, problem):
    with pytest.raises(AssertionError, match=problem):
        assert_printable(drawn(*strings))


def test_the_picture_check_catches_a_blank_page():
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter, initialFontName=pdf.FONT)
    page.drawString(72, 700, "Page one")
    page.showPage()
    page.showPage()
    page.save()
    with pytest.raises(AssertionError, match="page 2: the page is blank"):
        assert_printable(out.getvalue())


def test_the_picture_check_catches_a_font_that_is_not_embedded():
    with pytest.raises(AssertionError, match="font not embedded: /Helvetica"):
        assert_printable(drawn((72, 700, "Helvetica"), font="Helvetica"))


def test_letters_beyond_western_europe_print_as_letters_not_boxes():
    names = "Nguyễn Thị Hương · Ђорђе Петровић · Ñúñez Çağlar Øre"
    assert pdf.plain(names) == names
    assert names in page_text(drawn((40, 700, pdf.plain(names))))


def test_what_the_font_lacks_is_replaced_by_text_the_same_way_everywhere():
    assert pdf.plain("Clínica 💉") == "Clínica [syringe]"
    # A joined emoji: what the font lacks is named, the skin tone dropped, and every
    # character left is one the font can draw.
    nurse = pdf.plain("🧑🏽\u200d⚕\ufe0f nurse")
    assert nurse.startswith("[adult]") and "🏽" not in nurse
    glyphs = pdf.register_fonts().face.charToGlyph
    assert all(ord(character) in glyphs for character in nurse)
    assert pdf.plain("社区") == "??"
    assert pdf.plain("a\x00b") == "ab"
    # Decomposed accents are put back together, so they print as one letter.
    assert pdf.plain("Jose\u0301") == "José"


def test_the_font_family_falls_back_to_reportlabs_own_where_dejavu_is_missing(settings, tmp_path):
    settings.HAVEN_PDF_FONT_DIR = str(tmp_path)
    files = pdf.font_files()
    assert files[pdf.FONT].name == "Vera.ttf" and files[pdf.FONT].exists()
    settings.HAVEN_PDF_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
    assert pdf.font_files()[pdf.FONT].name in {"DejaVuSans.ttf", "Vera.ttf"}


def test_a_line_too_long_is_set_smaller_then_cut_never_run_past_its_width():
    pdf.register_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter, initialFontName=pdf.FONT)
    size = pdf.draw_fitted(
        page, 72, 700, "María " * 40, font=pdf.FONT, size=20, width=200, smallest=8
    )
    page.showPage()
    page.save()
    assert size == 8
    assert_printable(out.getvalue())
    assert "…" in page_text(out.getvalue())


def test_qr_codes_are_read_back_from_the_picture():
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter, initialFontName=pdf.FONT)
    from reportlab.lib.utils import ImageReader

    page.drawImage(ImageReader(pdf.qr_png("https://haven.example.org/x")), 72, 500, 100, 100)
    page.showPage()
    page.save()
    assert qr_codes(out.getvalue()) == ["https://haven.example.org/x"]
