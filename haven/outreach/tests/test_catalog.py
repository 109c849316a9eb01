"""The contact catalog kept in each process is never stale after an edit."""

import threading

import pytest
from django.db import connection, transaction

from haven.accounts.models import Site
from haven.outreach import catalog as contact_catalog
from haven.outreach.models import CatalogVersion, Service
from haven.supplies.models import Item, Kit, KitComponent

pytestmark = pytest.mark.django_db


def test_an_unchanged_catalog_costs_one_read_of_its_version(catalog, django_assert_num_queries):
    catalog_now()
    with django_assert_num_queries(1):
        again = catalog_now()
    assert again.items[catalog["naloxone"].pk].name == "Naloxone nasal spray"


def test_a_change_made_any_way_is_seen_at_once(catalog, downtown):
    naloxone = catalog["naloxone"]
    assert current_item(naloxone).max_per_contact == 10
    Item.objects.filter(pk=naloxone.pk).update(max_per_contact=3)
    assert current_item(naloxone).max_per_contact == 3
    with connection.cursor() as cursor:
        cursor.execute("UPDATE supplies_item SET active = %s WHERE id = %s", [False, naloxone.pk])
    assert not current_item(naloxone).active
    assert current_item(naloxone) not in catalog_now().active_items


@pytest.mark.parametrize(
    "change",
    [
        lambda c: Site.objects.create(name="Northside", kind="fixed"),
        lambda c: Site.objects.update(area="85000"),
        lambda c: Service.objects.filter(pk=c["hiv_test"].pk).delete(),
        lambda c: Item.objects.create(name="Cookers", category="injection"),
        lambda c: Kit.objects.create(name="Smoking kit"),
        lambda c: KitComponent.objects.create(
            kit=Kit.objects.create(name="Kit"), item=c["syringes"], quantity=5
        ),
    ],
    ids=["site added", "sites changed", "service deleted", "item added", "kit", "component"],
)
def test_every_catalog_table_changes_the_version(change, catalog, downtown):
    """Fails when a migration has rebuilt a table without its trigger (SQLite)."""
    before = catalog_now()
    change(catalog)
    after = catalog_now()
    assert after.token != before.token
    assert after is not before


def test_a_kit_brings_its_components(catalog):
    kit = Kit.objects.create(name="Injection kit")
    KitComponent.objects.create(kit=kit, item=catalog["syringes"], quantity=10)
    [handed_out] = catalog_now().kits_handed_out
    assert handed_out.catalog_components == [(catalog_now().items[catalog["syringes"].pk], 10)]


def test_a_change_rolled_back_is_not_served(catalog):
    naloxone = catalog["naloxone"]
    with pytest.raises(RuntimeError), transaction.atomic():
        Item.objects.filter(pk=naloxone.pk).update(name="Renamed")
        assert current_item(naloxone).name == "Renamed"
        raise RuntimeError("rolled back")
    assert current_item(naloxone).name == "Naloxone nasal spray"


def test_without_a_version_row_nothing_is_kept(catalog):
    CatalogVersion.objects.all().delete()
    first = catalog_now()
    assert catalog_now() is not first
    Item.objects.filter(pk=catalog["naloxone"].pk).update(name="Renamed")
    assert CatalogVersion.objects.exists()
    assert current_item(catalog["naloxone"]).name == "Renamed"


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen(catalog):
    """Another app server is another connection: its commit changes the version."""
    naloxone = catalog["naloxone"]
    assert current_item(naloxone).name == "Naloxone nasal spray"

    def edit_elsewhere():
        try:
            Item.objects.filter(pk=naloxone.pk).update(name="Naloxone 4 mg")
        finally:
            connection.close()

    thread = threading.Thread(target=edit_elsewhere)
    thread.start()
    thread.join()
    assert current_item(naloxone).name == "Naloxone 4 mg"


def catalog_now():
    return contact_catalog.current()


def current_item(item):
    return contact_catalog.current().items[item.pk]


def test_a_users_sites_come_with_the_version_and_are_not_asked_again(
    catalog, sam, downtown, eastside, django_assert_num_queries
):
    sam.sites.add(eastside)
    sam = type(sam).objects.get(pk=sam.pk)  # nothing kept from before
    catalog_now()
    with django_assert_num_queries(1):
        contact_catalog.current(sam)
        assert sam.allowed_site_ids() == {downtown.pk, eastside.pk}


def test_a_user_without_sites_has_none_and_a_manager_still_sees_every_site(
    catalog, ana, max_manager, downtown, eastside
):
    contact_catalog.current(ana)
    assert ana.allowed_site_ids() == set()
    contact_catalog.current(max_manager)
    assert max_manager.allowed_site_ids() == {downtown.pk, eastside.pk}
