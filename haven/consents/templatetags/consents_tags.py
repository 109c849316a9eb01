from django import template

from haven.consents import rules
from haven.consents.models import Disclosure

register = template.Library()


@register.inclusion_tag("consents/_in_force.html")
def consents_in_force(participant):
    """The consents in force, in plain words, on a participant's page."""
    return {"participant": participant, "in_force": rules.consents_in_force(participant)}


@register.inclusion_tag("consents/_referral_disclosure.html")
def referral_disclosure(referral):
    """What a referral shared, under which consent, and the Part 2 notice to hand over with it."""
    disclosure = Disclosure.objects.filter(referral=referral).select_related("consent").first()
    return {"disclosure": disclosure, "notice": rules.PART2_NOTICE}
