"""A printable brochure: chosen resources for a site, in one language, as a PDF.

Made with reportlab's platypus (flowing paragraphs over as many pages as
needed). The QR code, made by segno, points at the public finder so that
a reader can look for more, open now, on their phone.
"""

import io

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.platypus import Image, KeepTogether, Spacer

from haven.core.pdf import new_document, paragraph, plain, qr_png, stylesheet

from .hours import compact_hours

MOST_RESOURCES = 12


def finder_path():
    return reverse("public:resource_finder")


def hours_text(resource):
    spans = resource.weekly_spans()
    if not spans:
        return _("Hours not known: call first.")
    return compact_hours(spans)


def render(site, resources, finder_url):
    """The PDF as bytes. Strings come out in the active language."""
    buffer = io.BytesIO()
    styles = stylesheet()
    title = _("Services near %(site)s") % {"site": site.name}
    doc = new_document(
        buffer,
        pagesize=LETTER,
        title=plain(title),
        author="Haven",
        leftMargin=0.7 * inch,
        rightMargin=0.7 * inch,
        topMargin=0.7 * inch,
        bottomMargin=0.7 * inch,
    )
    story = [
        paragraph(title, styles["Title"]),
        paragraph(
            _("Printed %(date)s. Call before you go: hours and services change.")
            % {"date": timezone.localdate().isoformat()},
            styles["Normal"],
        ),
        Spacer(1, 0.2 * inch),
    ]
    for resource in resources:
        lines = [
            ", ".join(resource.need_labels()) or _("Services not listed: call to ask."),
            resource.address or _("Address not known."),
            _("Phone: %(phone)s") % {"phone": resource.phone}
            if resource.phone
            else _("Phone not known."),
            hours_text(resource),
        ]
        if resource.walk_in:
            lines.append(_("Walk-in welcome."))
        payments = resource.accepted_payment_labels()
        if payments:
            lines.append(_("Accepts: %(payments)s") % {"payments": ", ".join(map(str, payments))})
        # An entry is never split across two pages.
        entry = [paragraph(resource.name, styles["Heading3"])]
        entry += [paragraph(line, styles["Normal"]) for line in lines]
        story.append(KeepTogether(entry))
    story += [
        Spacer(1, 0.3 * inch),
        paragraph(
            _("Find more, open now, on your phone: %(url)s") % {"url": finder_url},
            styles["Normal"],
        ),
        Image(qr_png(finder_url), width=1.4 * inch, height=1.4 * inch, hAlign="LEFT"),
    ]
    story[-2:] = [KeepTogether(story[-2:])]
    doc.build(story)
    return buffer.getvalue()
