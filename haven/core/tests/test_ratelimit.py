"""The one rate limit of the public forms: counted in the database, so it holds across processes."""

import datetime

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import RequestFactory
from django.utils import timezone

from haven.core import ratelimit
from haven.core.models import RateCount

NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


def test_rates_are_read_as_count_per_unit():
    assert ratelimit.Rate.parse("5/h") == ratelimit.Rate(5, 3600)
    assert ratelimit.Rate.parse("60/m") == ratelimit.Rate(60, 60)
    assert ratelimit.Rate.parse("10/15m") == ratelimit.Rate(10, 900)
    for wrong in ("", "5", "0/m", "5/w", "1/2d"):
        with pytest.raises(ImproperlyConfigured):
            ratelimit.Rate.parse(wrong)


def test_the_limit_is_reached_after_the_rate_and_resets_next_window(db):
    for _ in range(3):
        assert not ratelimit.hit("form", "k", "3/h", now=NOON)
    assert ratelimit.hit("form", "k", "3/h", now=NOON + datetime.timedelta(minutes=59))
    assert ratelimit.is_limited("form", "k", "3/h", now=NOON)
    # Another key and another scope are not held back.
    assert not ratelimit.is_limited("form", "other", "3/h", now=NOON)
    assert not ratelimit.is_limited("page", "k", "3/h", now=NOON)
    assert not ratelimit.is_limited("form", "k", "3/h", now=NOON + datetime.timedelta(hours=1))


def test_is_limited_counts_nothing(db):
    for _ in range(5):
        assert not ratelimit.is_limited("form", "k", "1/h", now=NOON)
    assert ratelimit.used("form", "k", "1/h", now=NOON) == 0


def test_the_count_lives_in_the_database_not_in_a_process(db):
    """A second worker process shares nothing with the first but the database.

    Emptying every cache stands in for that process's memory; the count must
    hold anyway, and it is one row raised in place, not a row per use.
    """
    for _ in range(2):
        ratelimit.count("form", "k", "2/h", now=NOON)
    for alias in caches:
        caches[alias].clear()
    assert ratelimit.is_limited("form", "k", "2/h", now=NOON)
    assert list(RateCount.objects.values_list("scope", "count")) == [("form", 2)]


@pytest.mark.django_db(transaction=True)
def test_two_database_connections_share_one_count():
    """Two connections, as two processes would hold, raise the same count."""
    ratelimit.count("form", "k", "2/h", now=NOON)
    second = connections.create_connection("default")
    try:
        with second.cursor() as cursor:
            cursor.execute(
                "UPDATE core_ratecount SET count = count + 1 WHERE scope = %s AND key = %s",
                ["form", "k"],
            )
        if not second.get_autocommit():
            second.commit()
    finally:
        second.close()
    assert ratelimit.is_limited("form", "k", "2/h", now=NOON)
    assert ratelimit.hit("form", "k", "2/h", now=NOON)


def test_the_key_is_a_keyed_hash_of_the_network_address():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    key = ratelimit.network_key(request)
    assert "192.0.2.7" not in key and len(key) == 64
    assert ratelimit.network_key(request, "quiz-1") != key
    assert key != ratelimit.network_key(RequestFactory().get("/", REMOTE_ADDR="192.0.2.8"))


def test_old_windows_are_forgotten(db):
    ratelimit.count("form", "old", "5/h", now=NOON - datetime.timedelta(days=2))
    ratelimit.count("form", "new", "5/h", now=NOON)
    assert ratelimit.forget_old_counts(now=NOON) == 1
    assert list(RateCount.objects.values_list("key", flat=True)) == ["new"]


def test_the_scheduler_forgets_old_counts(settings):
    assert settings.SCHEDULED_TASKS["haven.core.tasks.forget_rate_counts"] >= 1


def test_a_window_is_aligned_to_the_clock(db):
    ratelimit.count("form", "k", "1/h", now=NOON + datetime.timedelta(minutes=30))
    row = RateCount.objects.get()
    assert row.window_start == NOON
    assert timezone.is_aware(row.window_start)
