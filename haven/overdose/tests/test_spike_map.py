"""The supervisors' map: areas coloured by the week against expected, clusters outlined."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.overdose import spike_map
from haven.overdose.models import Area, OverdoseReport, SpikeFlag


@pytest.fixture
def cells(db):
    return [
        Area.objects.create(
            code=f"cell-{n}",
            name=f"Cell {n}",
            kind="grid",
            latitude=33.41,
            longitude=-111.95 + 0.02 * n,
        )  # fmt: skip
        for n in range(3)
    ]


def test_colour_classes():
    assert spike_map.colour(4, 1.0) == "#b2182b"
    assert spike_map.colour(3, 2.0) == "#ef8a62"
    assert spike_map.colour(1, 1.0) == "#fddbc7"
    assert spike_map.colour(0, 1.0) == "#f7f7f7"
    assert spike_map.colour(1, 0) == "#b2182b"


def test_the_map_colours_areas_and_outlines_flagged_clusters(cells):
    now = timezone.now()
    OverdoseReport.objects.bulk_create(
        OverdoseReport(
            occurred_at=now - datetime.timedelta(hours=n + 1), area=cells[0], reported_by="staff"
        )
        for n in range(3)
    )
    SpikeFlag.objects.create(
        scale="cluster", key="cluster:cell-0,cell-1", area_codes=["cell-0", "cell-1"],
        window_end=now, day=timezone.localdate(now), count=3, expected=0.2,
        baseline_mean=0.2, statistic=9, method="scan",
    )  # fmt: skip
    svg = spike_map.svg(now)
    assert svg.count("<rect") == 3
    assert svg.count('stroke-width="4"') == 2
    assert 'fill="#b2182b"' in svg
    assert "Cell 0: 3 reports, 0.0 expected" in svg


@pytest.mark.parametrize(
    ("role", "status"),
    [("specialist", 200), ("analyst", 403), ("supervisor", 200), ("admin", 403)],
)
def test_map_roles(role, status, personas, login, cells):
    response = login(personas[role]).get(reverse("overdose:spike_map"))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/svg+xml"
