import pytest
from django.urls import reverse

from haven.core import audit
from haven.core.models import AuditEntry


def test_audit_entries_cannot_be_changed_or_deleted(sam, participant):
    entry = audit.record(sam, AuditEntry.Action.VIEW, participant, page="test")
    entry.page = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(page="tampered")
    assert AuditEntry.objects.get().page == "test"


def test_admin_filters_the_audit_log(login, adam, sam, sue, participant):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sue, AuditEntry.Action.MERGE, participant)
    client = login(adam)
    page = client.get(reverse("core:audit_log"), {"user": "sam"})
    entries = list(page.context["page"].object_list)
    assert [entry.user for entry in entries] == [sam]
    page = client.get(reverse("core:audit_log"), {"action": "merge"})
    assert [entry.user for entry in page.context["page"].object_list] == [sue]
    page = client.get(reverse("core:audit_log"), {"since": "2999-01-01"})
    assert "No audit entries match" in page.content.decode()


def test_a_bad_date_filter_says_so(login, adam):
    response = login(adam).get(reverse("core:audit_log"), {"since": "yesterday"})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD" in response.content.decode()


def test_the_audit_log_names_a_participant_by_card_code_only(login, adam, sam, participant):
    login(sam).get(reverse("participants:detail", args=[participant.pk]))
    content = login(adam).get(reverse("core:audit_log")).content.decode()
    assert "participant timeline" in content
    assert participant.display_code in content
    assert participant.alias not in content
    assert str(participant.year_of_birth) not in content


def test_audit_log_query_count_does_not_grow_with_entries(
    login, adam, sam, participant, django_assert_max_num_queries
):
    for _ in range(30):
        audit.record(sam, AuditEntry.Action.VIEW, participant, page="x")
    client = login(adam)
    with django_assert_max_num_queries(10):
        client.get(reverse("core:audit_log"))
