"""The contact catalog (sites, services, items, kits), kept in each process.

Every contact names catalog rows, which rarely change; reading them by id
on every save was a quarter of its statements. The catalog is read whole
once per process and again only after it changed: database triggers
(migration 0006) give the one CatalogVersion row a new random token in the
same transaction as any change to these tables, whoever makes it (a page,
the Django admin, a shell, another app server). Each use asks for the token,
one primary-key read, and rereads the catalog when it differs, so an edit is
seen by every process from its commit on. The token is random, never a
counter that a rolled-back change or a flushed database could bring back.

The rows are shared by every request of the process: read them, never
change or save them.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.db import connection

from haven.accounts.models import Site, User
from haven.core.db.hot import hot
from haven.supplies.models import Item, Kit, KitComponent

from .models import CatalogVersion, Service


@dataclass(frozen=True)
class Catalog:
    token: str | None
    sites: dict  # pk -> Site, by name
    services: dict  # pk -> Service, in the order screens show them
    items: dict  # pk -> Item, likewise
    kits: dict  # pk -> Kit, each with catalog_components: [(Item, quantity)]

    def get(self, model, pk):
        """The row of `model` with this id, or None."""
        return self._tables[model].get(pk)

    @property
    def _tables(self):
        return {Site: self.sites, Service: self.services, Item: self.items, Kit: self.kits}

    # Worked out once per catalog (a county's has a few hundred items), not per form.
    @cached_property
    def active_services(self):
        return tuple(service for service in self.services.values() if service.active)

    @cached_property
    def active_items(self):
        return tuple(item for item in self.items.values() if item.active)

    @cached_property
    def kits_handed_out(self):
        """Active kits with at least one component."""
        return tuple(kit for kit in self.kits.values() if kit.active and kit.catalog_components)

    @cached_property
    def quantity_fields(self):
        """{name: (prefix, kit or item)} of the quick log's quantity fields, kits first."""
        fields = {f"kit_{kit.pk}": ("kit", kit) for kit in self.kits_handed_out}
        fields.update({f"supply_{item.pk}": ("supply", item) for item in self.active_items})
        return fields


MODELS = (Site, Service, Item, Kit)

_kept = None


def current(user=None):
    """The catalog as committed now (or as this transaction changed it).

    With a signed-in `user` (not a manager, who sees every site), the user's
    sites are read in the same statement as the version token and kept on the
    user for the request (User.remember_site_ids): a save asks both."""
    global _kept
    token = _token(user)
    kept = _kept
    if kept is not None and token is not None and kept.token == token:
        return kept
    # Read after the token: rows newer than it are reread next time, never
    # rows older than it kept under it.
    catalog = _read(token)
    if token is not None:  # None: the row is gone (a flushed test database)
        _kept = catalog
    return catalog


def _token(user=None):
    """The version token, by a hand-written statement: asked on every save and form."""
    quote = connection.ops.quote_name
    table = quote(CatalogVersion._meta.db_table)
    if user is None or not user.is_authenticated or user.role == User.Role.MANAGER:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {table} WHERE id = 1")  # noqa: S608 - model name
            row = cursor.fetchone()
        return row[0] if row else None
    sites = quote(User.sites.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            hot(
                f"SELECT v.token, s.site_id FROM {table} v "  # noqa: S608 - model names
                f"LEFT JOIN {sites} s ON s.user_id = %s WHERE v.id = 1"
            ),
            [user.pk],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    user.remember_site_ids(site_id for _token, site_id in rows if site_id is not None)
    return rows[0][0]


def _read(token):
    items = {item.pk: item for item in Item.objects.all()}
    kits = {kit.pk: kit for kit in Kit.objects.all()}
    components = defaultdict(list)
    for kit_id, item_id, quantity in KitComponent.objects.order_by("pk").values_list(
        "kit_id", "item_id", "quantity"
    ):
        components[kit_id].append((items[item_id], quantity))
    for kit in kits.values():
        kit.catalog_components = components[kit.pk]
    return Catalog(
        token=token,
        sites={site.pk: site for site in Site.objects.all()},
        services={service.pk: service for service in Service.objects.all()},
        items=items,
        kits=kits,
    )
