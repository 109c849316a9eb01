"""Training figures for the funder reports, each defined once.

A session counts in a period when it was held on a day of the period. The
report's filters apply as follows: a site filter keeps the sessions held at
that site (sessions elsewhere belong to no site); a staff filter keeps the
sessions that staff member gave (a session with two trainers counts for
each); the contact-type filter does not apply to trainings.
"""

from collections import Counter

from django.db.models import Sum

from haven.supplies.models import Item

from .models import Attendee, QuizAttempt, SessionKitMovement, Stage, TrainingSession


def sessions_in(scope):
    sessions = TrainingSession.objects.filter(held_on__gte=scope.start, held_on__lte=scope.end)
    if scope.site_ids:
        sessions = sessions.filter(site_id__in=scope.site_ids)
    if scope.staff_ids:
        sessions = sessions.filter(trainers__in=scope.staff_ids).distinct()
    return sessions


def people_trained(scope):
    """People trained at group sessions in the period: each person once.

    - A participant listed at several sessions counts once (a linked
      duplicate counts as the record it was linked to).
    - A person listed by name only (for a certificate) counts once per
      listing: names are encrypted and never matched across sessions.
    - Everyone else in the room counts by the session's headcount: the
      headcount less the people listed, for each session. Anonymous people
      cannot be told apart across sessions, so one who comes twice counts
      twice; that is why a participant's card code is worth listing.
    """
    sessions = list(sessions_in(scope).values("pk", "headcount"))
    ids = [session["pk"] for session in sessions]
    attendees = list(
        Attendee.objects.filter(session_id__in=ids).values(
            "session_id", "participant_id", "participant__merged_into_id"
        )
    )
    listed = Counter(attendee["session_id"] for attendee in attendees)
    participants = {
        attendee["participant__merged_into_id"] or attendee["participant_id"]
        for attendee in attendees
        if attendee["participant_id"]
    }
    named_only = sum(1 for attendee in attendees if not attendee["participant_id"])
    anonymous = sum(max(0, s["headcount"] - listed[s["pk"]]) for s in sessions)
    return {
        "participants": len(participants),
        "named": named_only,
        "anonymous": anonymous,
        "total": len(participants) + named_only + anonymous,
    }


def sessions_by_audience(scope):
    """Sessions held in the period, by audience: {audience: count}."""
    return Counter(sessions_in(scope).values_list("audience", flat=True))


KIT_GROUPS = (Item.ReportingGroup.NALOXONE_NASAL, Item.ReportingGroup.NALOXONE_INJECTABLE)


def kits_at_trainings(scope):
    """Units handed out at the period's sessions, by naloxone reporting group
    ("other" for the rest), from the ledger movements drawn for them."""
    rows = (
        SessionKitMovement.objects.filter(session__in=sessions_in(scope).values("pk"))
        .values("movement__item__reporting_group")
        .annotate(units=Sum("movement__quantity"))
    )
    totals = dict.fromkeys([*KIT_GROUPS, "other"], 0)
    for row in rows:
        group = row["movement__item__reporting_group"]
        totals[group if group in KIT_GROUPS else "other"] += -row["units"]
    return totals


def knowledge_change(scope):
    """Share of quiz answers right before and after the period's sessions (percent,
    None when no one took that part), over everyone who took each part."""
    attempts = QuizAttempt.objects.filter(session__in=sessions_in(scope).values("pk"))
    result = {}
    for stage in (Stage.PRE, Stage.POST):
        sums = attempts.filter(stage=stage).aggregate(right=Sum("right"), asked=Sum("asked"))
        result[stage] = round(100 * sums["right"] / sums["asked"]) if sums["asked"] else None
    return result
