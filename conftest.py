"""Named people for tests, so that permission tests read like sentences.

Two sites: Downtown (where most people work) and Eastside (the other site).
- specialist Sam works Downtown; specialist Olga works only Eastside;
- supervisor Sue and manager Max; analyst Ana; admin Adam;
- root, a break-glass superuser (the only account the Django admin lets in).
"""

import pytest
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client
from django.utils import translation

from haven.accounts.models import Site, User
from haven.outreach.models import Service
from haven.participants.models import Participant
from haven.supplies.models import Item

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def flush_may_empty_the_audit_log():
    """Tests that commit are cleaned up with Django's flush, which empties every table.

    The database refuses to empty the audit log (haven/core/append_only.py)
    unless told that this is such a flush.
    """
    from haven.core import append_only

    flush = BaseDatabaseOperations.execute_sql_flush

    def flush_with_the_audit_log(self, sql_list):
        with append_only.may_be_emptied(self.connection):
            return flush(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = flush_with_the_audit_log
    yield
    BaseDatabaseOperations.execute_sql_flush = flush


@pytest.fixture(autouse=True)
def audit_checkpoints_apart(settings, tmp_path):
    """Each test keeps its audit checkpoints in a file of its own, never in var/."""
    settings.HAVEN_AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that check it ask for it explicitly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def language_put_back():
    """Each test starts in the default language.

    A request in Spanish (Accept-Language: es) or translation.activate() switches the
    language of the thread the tests run in, and nothing switches it back.
    """
    yield
    translation.deactivate()


def make_user(username, role, sites=()):
    user = User.objects.create_user(username=username, password=PASSWORD, role=role)
    user.sites.set(sites)
    if sites:
        user.current_site = sites[0]
        user.save()
    return user


@pytest.fixture
def downtown(db):
    return Site.objects.create(name="Downtown", kind=Site.Kind.DROP_IN, area="85281")


@pytest.fixture
def eastside(db):
    return Site.objects.create(name="Eastside", kind=Site.Kind.MOBILE, area="85282")


@pytest.fixture
def sam(downtown):
    return make_user("sam", "specialist", [downtown])


@pytest.fixture
def olga(eastside):
    """A specialist of another site."""
    return make_user("olga", "specialist", [eastside])


@pytest.fixture
def sue(downtown):
    return make_user("sue", "supervisor", [downtown])


@pytest.fixture
def max_manager(downtown):
    return make_user("max", "manager", [downtown])


@pytest.fixture
def ana(db):
    return make_user("ana", "analyst")


@pytest.fixture
def adam(db):
    """The everyday administrator: staff, sites, the audit log; not the Django admin."""
    return make_user("adam", "admin")


@pytest.fixture
def root(db):
    """A break-glass superuser, the only kind of account the Django admin lets in."""
    return User.objects.create_superuser(username="root", password=PASSWORD)


@pytest.fixture
def personas(sam, olga, sue, max_manager, ana, adam):
    return {
        "specialist": sam,
        "other_site_specialist": olga,
        "supervisor": sue,
        "manager": max_manager,
        "analyst": ana,
        "admin": adam,
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def login():
    return client_for


@pytest.fixture
def catalog(db):
    """Two items and two services, as a program would set them up."""
    return {
        "naloxone": Item.objects.create(
            name="Naloxone nasal spray",
            name_es="Naloxona nasal",
            category="naloxone",
            reporting_group="naloxone_nasal",
            unit="kit",
            doses_per_unit=2,
            usual=True,
            max_per_contact=10,
        ),
        "syringes": Item.objects.create(
            name="Syringes 1cc",
            name_es="Jeringas 1cc",
            category="injection",
            reporting_group="syringes",
            usual=True,
        ),
        "retired": Item.objects.create(name="Old pipes", category="smoking", active=False),
        "support": Service.objects.create(
            code="emotional-support",
            name="Emotional support",
            name_es="Apoyo emocional",
            kind="support",
        ),
        "hiv_test": Service.objects.create(code="hiv-test", name="HIV test", kind="testing"),
    }


@pytest.fixture
def participant(sam, downtown):
    return Participant.objects.create(
        alias="Sunny", year_of_birth=1988, created_by=sam, enrolled_site=downtown
    )
