"""The knowledge quiz: questions in the four areas of the Opioid Overdose
Knowledge Scale, scored per area, and a session's change from before to after.

The questions are Haven's own short ones (seeded by a migration, editable by a
manager), not the published scale's items.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Area, Question, Stage


@dataclass
class Score:
    by_area: dict  # {area: [right, asked]}
    right: int
    asked: int


def active_questions():
    return list(Question.objects.filter(active=True).prefetch_related("choices"))


def score(answers, questions=None):
    """Score {question id: choice id}: every active question must be answered."""
    questions = questions if questions is not None else active_questions()
    by_area = {area: [0, 0] for area in Area.values}
    missing = []
    for question in questions:
        chosen = answers.get(question.pk)
        correct = {choice.pk for choice in question.choices.all() if choice.correct}
        valid = {choice.pk for choice in question.choices.all()}
        if chosen not in valid:
            missing.append(question.pk)
            continue
        by_area[question.area][1] += 1
        if chosen in correct:
            by_area[question.area][0] += 1
    if missing:
        raise ValidationError(_("Answer every question, please."))
    by_area = {area: counts for area, counts in by_area.items() if counts[1]}
    return Score(
        by_area=by_area,
        right=sum(right for right, _asked in by_area.values()),
        asked=sum(asked for _right, asked in by_area.values()),
    )


@dataclass
class AreaChange:
    area: str
    label: str
    percent: dict  # {stage: percent right, or None when nobody took it}

    @property
    def change(self):
        before, after = self.percent.get(Stage.PRE), self.percent.get(Stage.POST)
        if before is None or after is None:
            return None
        return after - before


def change_by_area(attempts):
    """Percent right per area and stage over `attempts`, and the change before to after."""
    totals = defaultdict(lambda: [0, 0])
    for attempt in attempts:
        for area, (right, asked) in attempt.scores.items():
            totals[(area, attempt.stage)][0] += right
            totals[(area, attempt.stage)][1] += asked
    rows = []
    for area, label in [*Area.choices, ("all", _("All areas"))]:
        percent = {}
        for stage in Stage.values:
            if area == "all":
                parts = [totals[(a, stage)] for a in Area.values if (a, stage) in totals]
                right, asked = sum(p[0] for p in parts), sum(p[1] for p in parts)
            else:
                right, asked = totals.get((area, stage), (0, 0))
            percent[stage] = round(100 * right / asked) if asked else None
        rows.append(AreaChange(area, str(label), percent))
    return rows
