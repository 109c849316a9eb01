"""Quiz scoring per area, the session's change, and a quiz sent twice."""

import uuid
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from haven.training.actions import AlreadySubmitted, do_submit_quiz
from haven.training.models import Question, QuizAttempt
from haven.training.quiz import change_by_area, score

from .conftest import answers, take_quiz


def test_the_seeded_quiz_has_two_questions_per_area_in_both_languages(db):
    questions = list(Question.objects.prefetch_related("choices"))
    assert sorted(q.area for q in questions) == sorted(
        ["risks", "signs", "actions", "naloxone"] * 2
    )
    for question in questions:
        assert question.text_es and question.localised("es") == question.text_es
        assert sum(c.correct for c in question.choices.all()) == 1


def test_score_counts_right_answers_per_area(db):
    result = score(answers(right_areas=("signs", "naloxone")))
    assert result.by_area == {
        "risks": [0, 2],
        "signs": [2, 2],
        "actions": [0, 2],
        "naloxone": [2, 2],
    }
    assert (result.right, result.asked) == (4, 8)


def test_one_wrong_answer_in_an_area_is_half_of_it(db):
    chosen = answers()
    question = Question.objects.filter(area="actions").first()
    chosen[question.pk] = question.choices.exclude(correct=True).first().pk
    assert score(chosen).by_area["actions"] == [1, 2]


def test_every_question_must_be_answered_and_with_its_own_choices(db):
    chosen = answers()
    first, second = Question.objects.all()[:2]
    chosen[first.pk] = second.choices.first().pk
    with pytest.raises(ValidationError):
        score(chosen)
    del chosen[first.pk]
    with pytest.raises(ValidationError):
        score(chosen)


def test_a_quiz_sent_twice_is_stored_once_with_a_clear_message(session):
    client_uuid = uuid.uuid4()
    do_submit_quiz(
        client_uuid=client_uuid, stage="pre", answers=answers(), language="es", session=session
    )
    with pytest.raises(AlreadySubmitted) as error:
        do_submit_quiz(
            client_uuid=client_uuid, stage="pre", answers=answers(), language="es", session=session
        )
    assert "already sent" in error.value.messages[0]
    assert QuizAttempt.objects.count() == 1


def test_an_attendee_takes_each_part_once(named_attendee):
    take_quiz("pre", attendee=named_attendee)
    with pytest.raises(AlreadySubmitted):
        take_quiz("pre", attendee=named_attendee)
    take_quiz("post", attendee=named_attendee)
    assert named_attendee.attempts.count() == 2


def test_the_follow_up_opens_months_after_the_session(session):
    with pytest.raises(ValidationError) as error:
        take_quiz("follow_up", session=session)
    assert "not open yet" in str(error.value)


def test_the_session_change_per_area(session):
    take_quiz("pre", right_areas=("risks",), session=session)
    take_quiz("pre", right_areas=("risks", "signs"), session=session)
    take_quiz("post", right_areas=("risks", "signs", "actions", "naloxone"), session=session)
    rows = {row.area: row for row in change_by_area(session.attempts.all())}
    assert rows["risks"].percent["pre"] == 100 and rows["risks"].change == 0
    assert rows["signs"].percent["pre"] == 50 and rows["signs"].change == 50
    assert rows["naloxone"].percent["pre"] == 0 and rows["naloxone"].change == 100
    assert rows["all"].percent == {"pre": 38, "post": 100, "follow_up": None}
    assert rows["all"].change == 62


def test_a_quiz_sent_twice_at_once_is_answered_as_sent_twice(session):
    client_uuid = uuid.uuid4()
    do_submit_quiz(
        client_uuid=client_uuid, stage="pre", answers=answers(), language="en", session=session
    )
    # The second copy passed the check before the first was stored (a double tap).
    nothing_yet = mock.MagicMock()
    nothing_yet.exists.return_value = False
    with mock.patch.object(QuizAttempt.objects, "filter", return_value=nothing_yet):
        with pytest.raises(AlreadySubmitted):
            do_submit_quiz(
                client_uuid=client_uuid,
                stage="pre",
                answers=answers(),
                language="en",
                session=session,
            )
    assert QuizAttempt.objects.count() == 1
