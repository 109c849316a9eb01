from django import template

from haven.resources.models import Guide, GuideProgress, Referral

register = template.Library()


@register.inclusion_tag("resources/_participant_panel.html", takes_context=True)
def participant_resources(context, participant):
    """Referrals and paperwork guides on a participant's page."""
    referrals = (
        Referral.objects.filter(participant_id__in=participant.linked_ids())
        .select_related("resource")
        .order_by("-made_at")[:50]
    )
    progress = {
        row.guide_id: row
        for row in GuideProgress.objects.filter(participant=participant).prefetch_related(
            "done_steps"
        )
    }
    guides = []
    for guide in Guide.objects.filter(active=True).prefetch_related("steps"):
        row = progress.get(guide.pk)
        guides.append((guide, len(row.done_steps.all()) if row else None, len(guide.steps.all())))
    return {"participant": participant, "referrals": referrals, "guides": guides}
