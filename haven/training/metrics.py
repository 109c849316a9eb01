"""Training figures for the funder reports, each defined once.

A session counts in a period when it was held on a day of the period. The
report's filters apply as follows: a site filter keeps the sessions held at
that site (sessions elsewhere belong to no site); a staff filter keeps the
sessions that staff member gave (a session with two trainers counts for
each); the contact-type filter does not apply to trainings.
"""

from collections import Counter, defaultdict

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
    return _people(sessions, attendees)


def _people(sessions, attendees):
    """people_trained() of these sessions' rows ("pk", "headcount") and their attendees'."""
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
    return _kit_totals((row["movement__item__reporting_group"], row["units"]) for row in rows)


def _kit_totals(rows):
    """{naloxone group or "other": units handed out} from (reporting group, ledger units)."""
    totals = dict.fromkeys([*KIT_GROUPS, "other"], 0)
    for group, units in rows:
        totals[group if group in KIT_GROUPS else "other"] += -units
    return totals


def knowledge_change(scope):
    """Share of quiz answers right before and after the period's sessions (percent,
    None when no one took that part), over everyone who took each part."""
    attempts = QuizAttempt.objects.filter(session__in=sessions_in(scope).values("pk"))
    result = {}
    for stage in (Stage.PRE, Stage.POST):
        sums = attempts.filter(stage=stage).aggregate(right=Sum("right"), asked=Sum("asked"))
        result[stage] = _percent_right(sums["right"], sums["asked"])
    return result


def _percent_right(right, asked):
    return round(100 * right / asked) if asked else None


# ---------------------------------------------------------------- every slice at once


class _PeriodTrainings:
    """A period's sessions and what hangs off them, read in five queries whatever the
    slices; the figures of any set of those sessions are then counted in Python, by the
    same definitions as the functions above (the tests hold them equal)."""

    def __init__(self, scope):
        sessions = sessions_in(scope)
        ids = sessions.values("pk")
        self.sessions = list(sessions.values("pk", "headcount", "audience", "site_id"))
        self.trainers = list(
            TrainingSession.trainers.through.objects.filter(trainingsession_id__in=ids)
            .values_list("trainingsession_id", "user_id")
            .order_by()
        )
        self.attendees = list(
            Attendee.objects.filter(session_id__in=ids).values(
                "session_id", "participant_id", "participant__merged_into_id"
            )
        )
        self.kits = list(
            SessionKitMovement.objects.filter(session_id__in=ids)
            .values_list("session_id", "movement__item__reporting_group")
            .annotate(units=Sum("movement__quantity"))
            .order_by()
        )
        self.quizzes = list(
            QuizAttempt.objects.filter(session_id__in=ids)
            .values_list("session_id", "stage")
            .annotate(right=Sum("right"), asked=Sum("asked"))
            .order_by()
        )

    def figures(self, session_ids):
        """{people, audiences, kits, change} of the sessions in `session_ids`."""
        sessions = [s for s in self.sessions if s["pk"] in session_ids]
        attendees = [a for a in self.attendees if a["session_id"] in session_ids]
        sums = defaultdict(lambda: [0, 0])
        for session_id, stage, right, asked in self.quizzes:
            if session_id in session_ids:
                sums[stage][0] += right
                sums[stage][1] += asked
        return {
            "people": _people(sessions, attendees),
            "audiences": Counter(s["audience"] for s in sessions),
            "kits": _kit_totals(
                (group, units) for session, group, units in self.kits if session in session_ids
            ),
            "change": {stage: _percent_right(*sums[stage]) for stage in (Stage.PRE, Stage.POST)},
        }


def training_figures(scope, by=None):
    """The training figures of `scope`: {people, audiences, kits, change}, as
    people_trained, sessions_by_audience, kits_at_trainings and knowledge_change give.

    With `by` ("site", "staff" or "type"), {member: those figures} for every member of
    that breakdown, from the same five queries: a session belongs to its site's slice
    and to each of its trainers'; the contact-type breakdown does not apply, so every
    type's figures are the whole's. With ("site", "staff"), every site (None for none)
    and trainer together, (3, 7): the sessions held there that they gave.
    """
    period = _PeriodTrainings(scope)
    every = {s["pk"] for s in period.sessions}
    if by is None or by == "type":
        whole = period.figures(every)
        return whole if by is None else defaultdict(lambda: whole)
    members = defaultdict(set)
    if by == "site":
        for session in period.sessions:
            members[session["site_id"]].add(session["pk"])
    elif by == "staff":
        for session_id, user_id in period.trainers:
            members[user_id].add(session_id)
    elif tuple(by) == ("site", "staff"):
        site_of = {session["pk"]: session["site_id"] for session in period.sessions}
        for session_id, user_id in period.trainers:
            members[(site_of[session_id], user_id)].add(session_id)
    else:
        raise ValueError(f"Trainings are not broken down by {by}.")
    nobody = period.figures(set())
    result = defaultdict(lambda: nobody)
    for member, session_ids in members.items():
        result[member] = period.figures(session_ids)
    return result
