"""A program that mails naloxone and test strips from its mail room.

Mia packs at the mail site (a specialist); Sue (a supervisor) is given the
mail site too, so that she decides on requests.
"""

import pytest

from conftest import make_user
from haven.accounts.models import Site
from haven.mail.actions import RequestData
from haven.mail.models import MailOffer, new_form_token
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import Item, StockLocation


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.MAIL_STATES = ["AZ"]
    settings.MAIL_ZIP_CODES = []
    settings.MAIL_STOCK_LOCATION = "Mail room"
    settings.MAIL_PURGE_DAYS = 14
    settings.MAIL_REPEAT_DAYS = 30
    settings.MAIL_DISCREET = True
    settings.MAIL_PROGRAM_NAME = "Desert Harm Reduction"
    settings.PUBLIC_FORM_POSTS_PER_HOUR = 5
    return settings


@pytest.fixture
def mail_site(db):
    return Site.objects.create(name="Mail", kind=Site.Kind.MAIL)


@pytest.fixture
def mia(mail_site):
    return make_user("mia", "specialist", [mail_site])


@pytest.fixture
def sue_at_mail(sue, mail_site):
    sue.sites.add(mail_site)
    return sue


@pytest.fixture
def strips(db):
    return Item.objects.create(
        name="Fentanyl test strips",
        name_es="Tiras de prueba de fentanilo",
        category="test_strips",
        reporting_group="fentanyl_strips",
        unit="strip",
    )


@pytest.fixture
def offers(catalog, strips):
    return {
        "naloxone": MailOffer.objects.create(
            item=catalog["naloxone"], most_per_request=2, sort_order=1
        ),
        "strips": MailOffer.objects.create(item=strips, most_per_request=10, sort_order=2),
    }


@pytest.fixture
def mail_room(mail_site, max_manager, catalog, strips):
    room = StockLocation.objects.create(name="Mail room", kind="site", site=mail_site)
    do_receive_stock(
        location=room, item=catalog["naloxone"], quantity=10, lot_number="N1", by=max_manager
    )
    do_receive_stock(location=room, item=strips, quantity=50, lot_number="S1", by=max_manager)
    return room


def request_data(offers, *, naloxone=2, strips=0, line1="12 Main Street", **overrides):
    values = {
        "form_token": new_form_token(),
        "label_name": "Robin",
        "line1": line1,
        "line2": "Apt 4",
        "city": "Tempe",
        "state": "AZ",
        "zip_code": "85281",
        "quantities": {offers["naloxone"].item: naloxone, offers["strips"].item: strips},
        **overrides,
    }
    return RequestData(**values)


def form_post(offers, token, *, naloxone="2", strips="0", **overrides):
    """What the public form posts."""
    return {
        "token": token,
        "website": "",
        f"item_{offers['naloxone'].item_id}": naloxone,
        f"item_{offers['strips'].item_id}": strips,
        "label_name": "Robin",
        "line1": "12 Main Street",
        "line2": "Apt 4",
        "city": "Tempe",
        "state": "AZ",
        "zip_code": "85281",
        "contact_email": "",
        "contact_phone": "",
        "witnessed_overdose": "",
        **overrides,
    }
