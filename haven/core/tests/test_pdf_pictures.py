"""Haven's PDF type (haven/core/pdf.py) and the picture checks every PDF test uses."""

import io

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from haven.core import pdf
from haven.core.tests.pdf_pictures import assert_printable, letters_drawn, page_text, qr_codes


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
    assert pdf.plain("ไทย") == "???"  # Thai: in no font Haven embeds
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


FALLBACK = "DroidSansFallback"
NAMES = "王秀英 · 김민준 · たなか"


def fitted(text, width=400, size=14, smallest=None):
    out = io.BytesIO()
    page = pdf.new_canvas(out, letter)
    pdf.draw_fitted(page, 72, 700, text, font=pdf.FONT, size=size, width=width, smallest=smallest)
    page.showPage()
    page.save()
    return out.getvalue()


def assert_in_the_fallback_font(drawn, letters):
    for character in letters:
        font, inked = drawn[character]
        assert FALLBACK in font and inked, (character, font, inked)


def test_the_fallback_font_is_installed():
    # .ci/run installs Debian's fonts-droid-fallback; without it CJK prints as "?".
    assert pdf.fallback_files(), "install fonts-droid-fallback (see .ci/run)"


def test_chinese_korean_and_japanese_names_are_drawn_in_the_fallback_font():
    assert pdf.plain(NAMES) == NAMES
    document = fitted(f"Wang {NAMES}")
    assert_printable(document)
    drawn = letters_drawn(document, f"Wang {NAMES}")
    assert_in_the_fallback_font(drawn, "王秀英김민준たなか")
    assert all("DejaVuSans" in drawn[letter][0] for letter in "Wang·")


def test_a_long_chinese_line_is_measured_in_the_font_that_draws_it():
    document = fitted("张" * 60, width=200, size=20, smallest=8)
    assert_printable(document)
    assert "…" in page_text(document)


def test_paragraphs_set_cjk_in_the_fallback_font_and_still_escape_markup():
    out = io.BytesIO()
    styles = pdf.stylesheet()
    document = pdf.new_document(out, pagesize=letter)
    document.build(
        [
            pdf.paragraph("<b>社区</b> 中心", styles["Normal"]),
            pdf.term_paragraph("地址", "北京市朝阳区", styles["Normal"]),
        ]
    )
    text = page_text(out.getvalue())
    assert "<b>社区</b> 中心" in text
    assert_in_the_fallback_font(letters_drawn(out.getvalue(), "社区</b> 中心"), "社区中心")
    assert_in_the_fallback_font(letters_drawn(out.getvalue(), "北京市朝阳区"), "北京市朝阳区")
    assert isinstance(pdf.paragraph("x", styles["Normal"]), Paragraph)


def test_a_line_without_spaces_wraps_between_letters_within_its_width():
    pdf.register_fonts()
    address = "北京市朝阳区建国路八十八号现代城五号楼一单元二零三室 Apt 4B"
    lines = pdf.wrap(address, pdf.FONT, 14, 150)
    assert len(lines) > 2
    assert all(pdf.text_width(line, pdf.FONT, 14) <= 150 for line in lines)
    assert "".join(lines).replace(" ", "") == address.replace(" ", "")


@pytest.fixture
def no_fallback_font(settings):
    settings.HAVEN_PDF_FALLBACK_FONTS = ["/nowhere/DroidSansFallback.ttf"]
    pdf.register_fallback_fonts.cache_clear()
    yield
    pdf.register_fallback_fonts.cache_clear()


def test_without_the_fallback_font_cjk_prints_as_question_marks_never_boxes(no_fallback_font):
    assert pdf.plain("王秀英 Wang") == "??? Wang"
    document = fitted("王秀英 Wang")
    assert_printable(document)
    assert "??? Wang" in page_text(document)
