from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

from haven.core import part2

register = template.Library()


@register.filter
def localised(obj):
    """An item's, kit's or service's name in the page's language."""
    return obj.localised_name(get_language())


@register.simple_tag
def part2_notice():
    """The 42 CFR 2.32 notice, printed on a page that carries participant records;
    nothing outside Part 2 mode (haven/core/part2.py)."""
    text = part2.notice()
    return format_html('<p class="notice part2-notice">{}</p>', text) if text else ""
