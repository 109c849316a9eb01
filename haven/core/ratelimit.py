"""One rate limit for every public form and page, held in the database.

A limit is a rate such as "5/h" (five per hour) or "60/m", counted per
scope (which form or group of pages) and per key (a keyed hash of the
visitor's network address, optionally with a target such as a quiz link).
Counts live in core.RateCount, one row per scope, key and fixed time window,
and are raised with a single UPDATE ... SET count = count + 1, so that every
worker process and every app server sees and raises the same count. (A
limit kept in a process's memory, as a local-memory cache is, lets a
visitor through once per worker.)

The window is fixed (e.g. each clock hour), so at a window's edge a visitor
can get up to twice the rate through in a short time; for the abuse these
limits are for, that is enough and costs one row per visitor per window.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import RateCount

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
# Rows of windows that ended longer ago than this are forgotten.
LONGEST_WINDOW = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text):
        """'5/h' -> Rate(5, 3600); '10/15m' -> Rate(10, 900)."""
        if isinstance(text, Rate):
            return text
        match = RATE.match(str(text))
        if not match or int(match[1]) < 1:
            raise ImproperlyConfigured(f"Not a rate: {text!r} (write e.g. 5/h or 60/m)")
        seconds = int(match[2] or 1) * UNITS[match[3]]
        if datetime.timedelta(seconds=seconds) > LONGEST_WINDOW:
            raise ImproperlyConfigured(f"A rate's window is at most a day: {text!r}")
        return cls(int(match[1]), seconds)


def network_key(request, target=""):
    """A keyed hash of the visitor's network address (and a target): never the address."""
    address = request.META.get("REMOTE_ADDR", "")
    return salted_hmac(
        "haven.core.ratelimit", f"{address}|{target}", algorithm="sha256"
    ).hexdigest()


def _window_start(rate, now):
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % rate.seconds, tz=datetime.UTC)


def _row(scope, key, rate, now):
    return RateCount.objects.filter(scope=scope, key=key, window_start=_window_start(rate, now))


def used(scope, key, rate, now=None):
    """How many times this key was counted in the current window."""
    rate = Rate.parse(rate)
    row = _row(scope, key, rate, now or timezone.now()).values_list("count", flat=True).first()
    return row or 0


def is_limited(scope, key, rate, now=None):
    """Whether the key has used up the rate this window (counts nothing)."""
    rate = Rate.parse(rate)
    return used(scope, key, rate, now) >= rate.limit


def count(scope, key, rate, now=None):
    """Count one use; returns the count of this window, this use included."""
    rate = Rate.parse(rate)
    now = now or timezone.now()
    row = _row(scope, key, rate, now)
    if not row.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateCount.objects.create(
                    scope=scope, key=key, window_start=_window_start(rate, now), count=1
                )
        except IntegrityError:
            # Another process made the row a moment ago: add to it.
            row.update(count=F("count") + 1)
    return used(scope, key, rate, now)


def hit(scope, key, rate, now=None):
    """Count one use and say whether it went over the rate."""
    rate = Rate.parse(rate)
    return count(scope, key, rate, now) > rate.limit


def forget_old_counts(now=None):
    """Delete the counts of windows that are over. Returns how many rows went."""
    now = now or timezone.now()
    deleted, _by_model = RateCount.objects.filter(window_start__lt=now - LONGEST_WINDOW).delete()
    return deleted
