"""Directory imports run in the background worker, with progress a page reload keeps."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.overdose.tests.test_tasks import run_worker
from haven.resources import actions, importing
from haven.resources.models import ImportBatch, Resource

from .test_import import GOOD, HEADER, plan_for


def staged(user, text=GOOD):
    content, plan = plan_for(text)
    batch = actions.do_stage_import(
        by=user, filename="list.csv", content=content, encoding="utf-8-sig", source="test"
    )
    return batch, plan


def progress_of(client, batch):
    return client.get(reverse("resources:import_progress", args=[batch.pk])).json()


# The worker commits and closes connections as in production.
@pytest.mark.django_db(transaction=True)
def test_a_queued_import_shows_progress_until_the_worker_has_run_it(max_manager, login):
    batch, plan = staged(max_manager)
    actions.do_queue_import(batch, plan, by=max_manager)
    client = login(max_manager)
    page = client.get(reverse("resources:import_preview", args=[batch.pk])).content.decode()
    assert 'id="import-progress"' in page
    assert "Waiting to start: 0 of 2 rows." in page
    assert "Import 2 new entries" not in page  # no second import while one waits
    assert progress_of(client, batch)["running"] is True
    assert not Resource.objects.exists()

    run_worker()

    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.rows_done) == ("done", 2, 2)
    assert Resource.objects.count() == 2
    progress = progress_of(client, batch)
    assert (progress["running"], progress["text"]) == (False, "Imported: 2 of 2 rows.")
    page = client.get(reverse("resources:import_preview", args=[batch.pk])).content.decode()
    assert 'id="import-result"' in page


def test_an_import_is_queued_once(max_manager, immediate_tasks):
    batch, plan = staged(max_manager)
    actions.do_queue_import(batch, plan, by=max_manager)
    with pytest.raises(ValidationError, match="already being imported, or was imported"):
        actions.do_queue_import(batch, plan, by=max_manager)
    assert Resource.objects.count() == 2


def test_a_task_delivered_twice_imports_once(max_manager, immediate_tasks):
    batch, plan = staged(max_manager)
    actions.do_queue_import(batch, plan, by=max_manager)
    actions.run_queued_import(batch.pk)
    assert Resource.objects.count() == 2


def test_a_failed_import_writes_nothing_and_says_why(
    max_manager, login, immediate_tasks, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ValidationError("The directory changed while checking.")

    monkeypatch.setattr(actions, "do_import_resources", refuse)
    batch, plan = staged(max_manager)
    actions.do_queue_import(batch, plan, by=max_manager)
    batch.refresh_from_db()
    assert (batch.status, batch.error) == ("failed", "The directory changed while checking.")
    assert not Resource.objects.exists()
    page = login(max_manager).get(reverse("resources:import_preview", args=[batch.pk]))
    assert "The last try to import this file stopped" in page.content.decode()
    # It can be tried again.
    monkeypatch.undo()
    actions.do_queue_import(batch, plan, by=max_manager)
    assert Resource.objects.count() == 2


def test_a_plan_with_errors_is_not_queued(max_manager):
    batch, plan = staged(max_manager, HEADER + "Broken,1 St,Tempe,AZ,85281,999,999,,,\n")
    with pytest.raises(ValidationError, match="rows have errors"):
        actions.do_queue_import(batch, plan, by=max_manager)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED


def test_checking_a_long_file_reports_progress(db):
    rows = "".join(f"Place {n},{n} Main St,Tempe,AZ,85281,33.4,-111.9,,,\n" for n in range(1_234))
    content, _plan = plan_for(HEADER + rows)
    seen = []
    importing.prepare(
        content, "utf-8-sig", importing.guess_mapping(HEADER.split(",")), (), seen.append
    )
    assert seen == [500, 1000]


@pytest.mark.parametrize("role", ["specialist", "supervisor", "analyst"])
def test_only_directory_editors_see_import_progress(role, personas, login, max_manager):
    batch, _plan = staged(max_manager)
    url = reverse("resources:import_progress", args=[batch.pk])
    assert login(personas[role]).get(url).status_code == 403
