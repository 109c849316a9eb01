"""A test that switches to Spanish does not leave later tests in Spanish.

The two tests run in this order (pytest keeps a module's order): the first
switches the language the way a request in Spanish does, the second must still
find the default language.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation


def test_a_request_in_spanish_switches_the_language_of_the_test(client, db):
    client.get(reverse("public:alerts"), HTTP_ACCEPT_LANGUAGE="es")
    assert translation.get_language() == "es"
    translation.activate("es")


def test_the_next_test_starts_in_the_default_language():
    assert translation.get_language() == settings.LANGUAGE_CODE
    assert translation.gettext("Reports") == "Reports"
