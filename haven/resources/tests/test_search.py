import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from haven.resources import geo
from haven.resources.search import Query, area_centre, search

from .conftest import TEMPE

PHOENIX = ZoneInfo("America/Phoenix")
MONDAY_10AM = datetime.datetime(2025, 3, 3, 10, 0, tzinfo=PHOENIX)
MONDAY_11PM = datetime.datetime(2025, 3, 3, 23, 0, tzinfo=PHOENIX)


def names(results):
    return [result.resource.name for result in results]


def test_haversine_matches_a_known_distance():
    # Phoenix Sky Harbor to Tucson International: about 175 km.
    assert geo.haversine_km(33.4342, -112.0116, 32.1161, -110.9410) == pytest.approx(177, abs=3)


@given(
    st.floats(-80, 80),
    st.floats(-179, 179),
    st.floats(0.5, 200),
    st.floats(0, 360),
    st.floats(0, 1),
)
def test_every_point_within_the_radius_is_inside_the_bounding_box(lat, lon, radius, bearing, share):
    import math

    distance = radius * share * 0.999
    # Destination point along a great circle.
    d = distance / geo.EARTH_RADIUS_KM
    phi1, lambda1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi1),
        math.cos(d) - math.sin(phi1) * math.sin(phi2),
    )
    lat2, lon2 = math.degrees(phi2), (math.degrees(lambda2) + 540) % 360 - 180
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius)
    assert min_lat - 1e-9 <= lat2 <= max_lat + 1e-9
    assert min_lon - 1e-9 <= lon2 <= max_lon + 1e-9


def test_open_now_finds_the_clinic_by_day_and_the_shelter_by_night(bupe_clinic, night_shelter):
    day = search(Query(open_now=True, at=MONDAY_10AM, origin=TEMPE))
    night = search(Query(open_now=True, at=MONDAY_11PM, origin=TEMPE))
    assert names(day) == ["Desert Bupe Clinic"]
    assert names(night) == ["Night Shelter"]


def test_results_are_nearest_first_and_say_how_far(bupe_clinic, night_shelter):
    results = search(Query(origin=TEMPE))
    assert names(results) == ["Desert Bupe Clinic", "Night Shelter"]
    assert results[0].distance_km < results[1].distance_km
    assert "mi away" in " ".join(results[0].reasons)


def test_places_beyond_the_radius_are_left_out(bupe_clinic, resource_factory):
    resource_factory("Tucson Clinic", lat=32.2226, lon=-110.9747, needs=["buprenorphine"])
    assert names(search(Query(needs=["buprenorphine"], origin=TEMPE, radius_km=40))) == [
        "Desert Bupe Clinic"
    ]


def test_needs_language_payment_and_walk_in_filter_and_explain(
    bupe_clinic, night_shelter, resource_factory
):
    resource_factory(
        "English-only Bupe", lat=33.43, lon=-111.94, needs=["buprenorphine"], languages=["en"]
    )
    results = search(
        Query(
            needs=["buprenorphine", "methadone"],
            languages=["es"],
            payments=["medicaid"],
            walk_in=True,
            origin=TEMPE,
            at=MONDAY_10AM,
        )
    )
    assert names(results) == ["Desert Bupe Clinic"]
    reasons = results[0].reasons
    assert "Offers buprenorphine" in reasons
    assert "Speaks Spanish" in reasons
    assert "Takes Medicaid" in reasons
    assert "Walk-in" in reasons


def test_unknown_hours_are_not_open_now_but_are_found_otherwise(resource_factory):
    resource_factory("Unknown Hours OTP", lat=33.42, lon=-111.93, needs=["methadone"])
    assert search(Query(needs=["methadone"], open_now=True, origin=TEMPE)) == []
    [result] = search(Query(needs=["methadone"], origin=TEMPE))
    assert result.status.open is None
    assert result.status_text == "Hours unknown: call first"


def test_unknown_need_is_refused_with_its_name():
    with pytest.raises(ValueError, match="Unknown need: unicorns"):
        search(Query(needs=["unicorns"]))


def test_staff_only_entries_stay_out_of_public_searches(resource_factory):
    resource_factory("Staff Only", lat=33.42, lon=-111.93, public=False)
    assert names(search(Query(origin=TEMPE))) == ["Staff Only"]
    assert search(Query(origin=TEMPE, public_only=True)) == []


def test_a_zip_or_city_is_located_from_the_directory(bupe_clinic, night_shelter):
    assert area_centre("85281") == pytest.approx((33.4230, -111.9350))
    lat, _lon = area_centre("tempe, az")
    assert 33.39 < lat < 33.43
    assert area_centre("99999") is None


def test_search_page_near_the_users_site_lists_results_with_reasons(
    sam, login, bupe_clinic, night_shelter
):
    response = login(sam).get(reverse("resources:directory"), {"needs": "buprenorphine"})
    assert response.status_code == 200
    assert b"Desert Bupe Clinic" in response.content
    assert b"near Downtown" in response.content
    assert b"Night Shelter" not in response.content


def test_the_page_brings_the_sites_centres_for_searching_with_no_signal(
    sam, login, bupe_clinic, eastside
):
    response = login(sam).get(reverse("resources:directory"))
    setup = response.context["offline_search"]
    downtown = sam.default_site()
    # Downtown's area is a ZIP code the directory has entries in; Eastside's is not.
    assert setup["default_centre"] == {"point": area_centre(downtown.area), "label": "Downtown"}
    assert setup["centres"] == {downtown.pk: setup["default_centre"]}
    assert setup["messages"]["open_until"] == "Open now, until %(time)s"
    assert b'id="offline-search"' in response.content


def test_search_page_explains_an_unknown_need_and_an_unknown_place(sam, login):
    response = login(sam).get(
        reverse("resources:directory"), {"needs": "unicorns", "place": "Atlantis"}
    )
    assert b"Unknown need: unicorns" in response.content
    assert b"We do not know where" in response.content


def test_search_page_query_count_does_not_grow_with_results(
    sam, login, resource_factory, django_assert_max_num_queries
):
    for index in range(40):
        resource_factory(
            f"Clinic {index}",
            lat=33.42 + index / 1000,
            lon=-111.93,
            zip_code="85281",
            needs=["buprenorphine"],
            languages=["en"],
            hours=[(0, "08:00", "17:00")],
        )
    client = login(sam)
    with django_assert_max_num_queries(20):
        response = client.get(
            reverse("resources:directory"), {"needs": "buprenorphine", "place": "85281"}
        )
    assert response.status_code == 200
    assert response.content.count(b"<h3>") == 30
