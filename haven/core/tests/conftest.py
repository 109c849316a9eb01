"""Fixtures of the site-scope tests (test_site_scope_reads.py, test_site_scope_writes.py)."""

import pytest

from haven.participants import codes
from haven.participants.models import Participant


@pytest.fixture
def site_scope(settings):
    settings.HAVEN_RECORD_SCOPE = "site"


@pytest.fixture
def nobodys_code(db):
    """A valid card code that nobody has."""
    code = codes.generate()
    while Participant.objects.filter(card_code=code).exists():
        code = codes.generate()
    return code
