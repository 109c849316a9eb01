"""Look at a PDF as a printer would: rasterised by PDFium (pypdfium2), checked for real defects.

`assert_printable(pdf)` fails when a page is blank, when ink or text lies in
the strip a printer cannot print (or off the page), when two lines of text
are drawn over each other, or when a font is not embedded (a viewer then
substitutes one, and letters it lacks print as boxes). `qr_codes(pdf)` reads
the QR codes back from the rendered picture, as a phone would.
"""

import ctypes
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import zxingcpp
from pypdf import PdfReader

# Ink this close to the edge (points; 72 to the inch) is cut off by most printers.
PRINTER_MARGIN = 12
DARK = 128
SCALE = 2


def render(pdf, scale=SCALE):
    """[(PIL greyscale image, PDFium page)] for each page."""
    document = pdfium.PdfDocument(pdf)
    return [(page.render(scale=scale, grayscale=True).to_pil(), page) for page in document]


def _has_ink(image, box=None):
    region = image.crop(box) if box else image
    darkest, _lightest = region.getextrema()
    return darkest < DARK


def text_lines(page):
    """The bounding boxes (left, bottom, right, top, text) of the page's runs of text."""
    text_page = page.get_textpage()
    boxes = []
    for index in range(text_page.count_rects()):
        left, bottom, right, top = text_page.get_rect(index)
        text = text_page.get_text_bounded(left, bottom, right, top).strip()
        if text:
            boxes.append((left, bottom, right, top, text))
    return boxes


def _overlap(one, other):
    """Whether two runs of text are drawn over each other: lines that cross, or two
    runs on one line overlapping by more than a slanted or kerned letter does."""
    width = min(one[2], other[2]) - max(one[0], other[0])
    height = min(one[3], other[3]) - max(one[1], other[1])
    if width <= 1 or height <= 1:
        return False
    same_line = height > 0.6 * min(one[3] - one[1], other[3] - other[1])
    return not same_line or width > 3


def page_problems(image, page, margin=PRINTER_MARGIN):
    problems = []
    width, height = page.get_size()
    if not _has_ink(image):
        return ["the page is blank"]
    edge = round(margin * SCALE)
    strips = {
        "left": (0, 0, edge, image.height),
        "right": (image.width - edge, 0, image.width, image.height),
        "top": (0, 0, image.width, edge),
        "bottom": (0, image.height - edge, image.width, image.height),
    }
    problems += [f"ink in the {side} edge" for side, box in strips.items() if _has_ink(image, box)]
    lines = text_lines(page)
    for left, bottom, right, top, text in lines:
        if left < margin or bottom < margin or right > width - margin or top > height - margin:
            problems.append(f"text outside the printable area: {text!r}")
    for index, one in enumerate(lines):
        for other in lines[index + 1 :]:
            if _overlap(one, other):
                problems.append(f"text drawn over text: {one[4]!r} and {other[4]!r}")
    return problems


def unembedded_fonts(pdf):
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(font.get("/BaseFont")))
    return names


def assert_printable(pdf, margin=PRINTER_MARGIN):
    """Every page has ink, nothing in the printer's margin, no text over text, fonts embedded."""
    problems = []
    for number, (image, page) in enumerate(render(pdf), start=1):
        problems += [f"page {number}: {problem}" for problem in page_problems(image, page, margin)]
    problems += [f"font not embedded: {name}" for name in sorted(unembedded_fonts(pdf))]
    assert not problems, "\n".join(problems)


def page_text(pdf):
    """The text PDFium reads from each page, joined: what a reader can copy."""
    return "\n".join(page.get_textpage().get_text_range() for _image, page in render(pdf, 1))


def qr_codes(pdf, scale=3):
    """The text of every QR code on every page, read from the rendered picture."""
    found = []
    for image, _page in render(pdf, scale):
        found += [result.text for result in zxingcpp.read_barcodes(image)]
    return found


def _font_of(text_page, index):
    size = pdfium_raw.FPDFText_GetFontInfo(text_page.raw, index, None, 0, None)
    name = ctypes.create_string_buffer(size)
    pdfium_raw.FPDFText_GetFontInfo(text_page.raw, index, name, size, None)
    return name.value.decode()


def letters_drawn(pdf, text, scale=4):
    """{character: (the font PDFium draws it in, whether its box on the page has ink)}
    for each character of `text`, on the first page whose text holds it; a character
    missing from the PDF's text (printed as "?") fails."""
    for image, page in render(pdf, scale):
        text_page = page.get_textpage()
        start = text_page.get_text_range().find(text)
        if start < 0:
            continue
        _width, height = page.get_size()
        drawn = {}
        for index, character in enumerate(text, start=start):
            if character.isspace():
                continue
            left, bottom, right, top = text_page.get_charbox(index)
            box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            inked = right > left and top > bottom and _has_ink(image, tuple(map(round, box)))
            drawn[character] = (_font_of(text_page, index), inked)
        return drawn
    raise AssertionError(f"{text!r} is not in the PDF's text")
