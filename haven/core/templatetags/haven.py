from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localised(obj):
    """An item's, kit's or service's name in the page's language."""
    return obj.localised_name(get_language())
