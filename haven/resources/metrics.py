"""Referral metrics. Each has one written definition here."""

import datetime

from django.utils import timezone

LINKAGE_WINDOW = datetime.timedelta(days=30)


def linkage_within_30_days(referrals, now=None):
    """The share of referrals linked to care within 30 days of being made.

    Counted over referrals whose 30-day window has closed (made at least 30
    days before `now`), so that recent referrals, which may still be linked,
    do not drag the share down. A referral counts as linked when it reached
    "linked to care" no later than 30 days after it was made; one linked
    later counts in the denominator only.

    `referrals` is an iterable of objects with made_at and linked_at. Returns
    (linked, eligible, share), share None when nothing is eligible.
    """
    now = now or timezone.now()
    eligible = linked = 0
    for referral in referrals:
        if referral.made_at > now - LINKAGE_WINDOW:
            continue
        eligible += 1
        if (
            referral.linked_at is not None
            and referral.linked_at - referral.made_at <= LINKAGE_WINDOW
        ):
            linked += 1
    return linked, eligible, (linked / eligible if eligible else None)
