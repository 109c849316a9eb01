"""Directory search: what offers this need, open now, near here, that fits.

The filters that SQL can answer (needs, language, payment, walk-in, a
latitude/longitude box around the origin) run in the database and return
only ids and coordinates. Exact distances are measured in Python, and the
nearest candidates are then loaded in small batches, with their hours, until
enough of them pass the opening-hours check. Loading whole rows only for the
few results shown is what keeps search fast on a directory of many thousands.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import geo
from .models import (
    PAYMENT_FIELDS,
    HoursException,
    Language,
    Need,
    OpeningHours,
    Payment,
    Resource,
    ResourceLanguage,
    ResourceNeed,
)

DEFAULT_RADIUS_KM = 25
BATCH = 60


@dataclass
class Query:
    needs: list = field(default_factory=list)
    open_now: bool = False
    at: datetime.datetime | None = None  # "open at" a chosen moment; now when None
    origin: tuple | None = None  # (latitude, longitude)
    radius_km: float = DEFAULT_RADIUS_KM
    languages: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    walk_in: bool = False
    public_only: bool = False
    limit: int = 30


@dataclass
class Result:
    resource: Resource
    distance_km: float | None
    status: object
    matched_needs: list
    reasons: list

    @property
    def status_text(self):
        return describe_status(self.status)

    @property
    def distance_miles(self):
        return None if self.distance_km is None else geo.miles(self.distance_km)


def filtered(query):
    """The resources that pass every filter SQL can answer."""
    unknown = [need for need in query.needs if need not in Need.values]
    if unknown:
        raise ValueError(_("Unknown need: %(need)s.") % {"need": ", ".join(unknown)})
    resources = Resource.objects.filter(active=True)
    if query.public_only:
        resources = resources.filter(public=True)
    if query.needs:
        resources = resources.filter(
            Exists(ResourceNeed.objects.filter(resource=OuterRef("pk"), need__in=query.needs))
        )
    if query.languages:
        resources = resources.filter(
            Exists(
                ResourceLanguage.objects.filter(
                    resource=OuterRef("pk"), language__in=query.languages
                )
            )
        )
    if query.payments:
        accepts = Q()
        for payment in query.payments:
            accepts |= Q(**{PAYMENT_FIELDS[payment]: True})
        resources = resources.filter(accepts)
    if query.walk_in:
        resources = resources.filter(Q(walk_in=True) | Q(same_day=True))
    if query.open_now:
        resources = resources.filter(_may_be_open(query.at or timezone.now()))
    if query.origin is not None:
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(*query.origin, query.radius_km)
        resources = resources.filter(
            latitude__gte=min_lat,
            latitude__lte=max_lat,
            longitude__gte=min_lon,
            longitude__lte=max_lon,
        )
    return resources


def _may_be_open(moment):
    """A superset, in SQL, of the resources open at `moment`; Python then decides exactly.

    Open means a span started today that has not ended (ending later today,
    or overnight), a span from yesterday still running overnight, or special
    hours on either day. Closures are left to the exact check.
    """
    local = timezone.localtime(moment)
    today, clock = local.date(), local.time().replace(microsecond=0)
    yesterday = today - datetime.timedelta(days=1)
    spans = OpeningHours.objects.filter(resource=OuterRef("pk"))
    started_today = spans.filter(weekday=today.weekday(), opens__lte=clock).filter(
        Q(closes__gt=clock) | Q(closes__lte=F("opens"))
    )
    running_from_yesterday = spans.filter(
        weekday=yesterday.weekday(), closes__lte=F("opens"), closes__gt=clock
    )
    special = HoursException.objects.filter(
        resource=OuterRef("pk"), date__in=[today, yesterday], closed=False
    )
    return Exists(started_today) | Exists(running_from_yesterday) | Exists(special)


def search(query):
    """Up to query.limit Results, nearest first (or by name without an origin)."""
    moment = query.at or timezone.now()
    candidates = _ordered_candidates(query)
    results = []
    # Without "open now" every candidate is a result: load exactly the page.
    step = BATCH if query.open_now else query.limit
    for start in range(0, len(candidates), step):
        batch = candidates[start : start + step]
        loaded = _load([pk for pk, _distance in batch], moment)
        for pk, distance in batch:
            resource = loaded[pk]
            status = resource.status_at(moment)
            if query.open_now and status.open is not True:
                continue
            results.append(_explain(query, resource, distance, status))
            if len(results) == query.limit:
                return results
    return results


def _ordered_candidates(query):
    resources = filtered(query)
    if query.origin is None:
        return [(pk, None) for pk in resources.order_by("name", "pk").values_list("pk", flat=True)]
    lat, lon = query.origin
    measured = []
    for pk, r_lat, r_lon in resources.values_list("pk", "latitude", "longitude"):
        distance = geo.haversine_km(lat, lon, r_lat, r_lon)
        if distance <= query.radius_km:
            measured.append((distance, pk))
    measured.sort()
    return [(pk, distance) for distance, pk in measured]


def _load(ids, moment):
    # Exceptions that can matter: spans starting from the day before to a week after.
    local_date = timezone.localtime(moment).date()
    exceptions = HoursException.objects.filter(
        date__gte=local_date - datetime.timedelta(days=1),
        date__lte=local_date + datetime.timedelta(days=8),
    )
    return Resource.objects.prefetch_related(
        "offerings", "languages", "opening_hours", Prefetch("hours_exceptions", exceptions)
    ).in_bulk(ids)


def _explain(query, resource, distance, status):
    offered = set(resource.need_codes())
    matched = [need for need in query.needs if need in offered]
    labels = dict(Need.choices)
    reasons = [_("Offers %(need)s") % {"need": labels[need].lower()} for need in matched]
    if status.open:
        reasons.append(describe_status(status))
    if distance is not None:
        reasons.append(describe_distance(distance))
    spoken = set(resource.language_codes())
    language_labels = dict(Language.choices)
    for language in query.languages:
        if language in spoken:
            reasons.append(_("Speaks %(language)s") % {"language": language_labels[language]})
    payment_labels = dict(Payment.choices)
    for payment in query.payments:
        if getattr(resource, PAYMENT_FIELDS[payment]):
            reasons.append(_("Takes %(payment)s") % {"payment": payment_labels[payment]})
    if query.walk_in:
        reasons.append(_("Walk-in") if resource.walk_in else _("Same-day appointments"))
    return Result(resource, distance, status, matched, reasons)


def describe_status(status):
    if status.open is None:
        return _("Hours unknown: call first")
    if status.open:
        if status.until is None or status.until - timezone.now() > datetime.timedelta(days=2):
            return _("Open 24 hours")
        return _("Open now, until %(time)s") % {"time": _when(status.until)}
    if status.opens_at:
        return _("Closed; opens %(time)s") % {"time": _when(status.opens_at)}
    return _("Closed")


def _when(moment):
    local = timezone.localtime(moment)
    today = timezone.localdate()
    clock = formats.time_format(local, "H:i")
    if local.date() == today:
        return clock
    if local.date() == today + datetime.timedelta(days=1):
        return _("tomorrow %(time)s") % {"time": clock}
    return f"{formats.date_format(local, 'l')} {clock}"


def describe_distance(distance_km):
    miles = geo.miles(distance_km)
    return _("%(miles)s mi away") % {"miles": f"{miles:.1f}"}


def area_centre(text):
    """(lat, lon) of a ZIP code or a city ("Tempe" or "Tempe, AZ") known to the directory.

    The centre is the average of the directory's own entries there, so no
    geocoding service is ever asked. Returns None for places it does not know.
    """
    from .matching import normal_zip

    text = (text or "").strip()
    if not text:
        return None
    if text[:5].isdigit():
        places = Resource.objects.filter(zip_code=normal_zip(text[:5]))
    else:
        city, _comma, state = text.partition(",")
        places = Resource.objects.filter(city__iexact=city.strip())
        if state.strip():
            places = places.filter(state__iexact=state.strip()[:2])
    centre = places.filter(latitude__isnull=False).aggregate(
        lat=Avg("latitude"), lon=Avg("longitude"), n=Count("pk")
    )
    if not centre["n"]:
        return None
    return centre["lat"], centre["lon"]


def valid_origin(lat, lon):
    return (
        lat is not None
        and lon is not None
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )
