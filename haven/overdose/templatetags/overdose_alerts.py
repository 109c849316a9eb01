"""The alerts block on the staff home page: {% load overdose_alerts %}{% current_alerts %}."""

from django import template
from django.utils import translation

from haven.core.permissions import PARTICIPANT_ROLES
from haven.overdose.actions import PUBLISH_ROLES
from haven.overdose.models import DrugAlert

register = template.Library()
SEVERITY_RANK = {
    DrugAlert.Severity.URGENT: 0,
    DrugAlert.Severity.WARNING: 1,
    DrugAlert.Severity.ADVISORY: 2,
}


@register.inclusion_tag("overdose/_home_alerts.html", takes_context=True)
def current_alerts(context):
    user = context["request"].user
    if user.role not in PARTICIPANT_ROLES:
        return {"alerts": [], "drafts": 0}
    language = translation.get_language()
    alerts = sorted(
        DrugAlert.objects.current().select_related("area").order_by("-starts_at"),
        key=lambda alert: SEVERITY_RANK[alert.severity],
    )
    drafts = 0
    if user.role in PUBLISH_ROLES:
        drafts = DrugAlert.objects.filter(status=DrugAlert.Status.DRAFT).count()
    return {
        "alerts": [(alert, *alert.localised(language)) for alert in alerts],
        "drafts": drafts,
    }
