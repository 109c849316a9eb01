"""In Part 2 mode the 42 CFR 2.32 notice goes with every page or file that carries
participant records: the card, the participant's own summary, the accounting of
disclosures, and the audit log's exports; outside Part 2 mode none of them prints it.
(Referral details carry it too: haven/consents/tests/test_referral_enforcement.py.)
"""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from haven.core import audit, part2
from haven.core.models import AuditEntry

OPENING = {
    "en": "This record which has been disclosed to you is protected by Federal confidentiality",
    "es": "Este registro que se le ha divulgado está protegido por normas federales",
}


def notice(language):
    with translation.override(language):
        return str(part2.NOTICE)


def text(response):
    return " ".join(response.content.decode().split())


@pytest.fixture
def part2_mode(settings):
    settings.HAVEN_PART2_MODE = True


def pages(participant):
    return {
        "card": reverse("participants:card", args=[participant.pk]),
        "accounting": reverse("consents:accounting", args=[participant.pk]),
    }


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("page", ["card", "accounting"])
def test_printed_pages_carry_the_notice_in_part2_mode(
    login, sam, participant, part2_mode, page, language
):
    url = pages(participant)[page]
    response = login(sam).get(url, {"language": language}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert OPENING[language] in text(response)
    assert notice(language) in text(response)


@pytest.mark.parametrize("page", ["card", "accounting"])
def test_outside_part2_mode_no_page_claims_its_protection(login, sam, participant, page):
    response = login(sam).get(pages(participant)[page])
    assert response.status_code == 200
    assert OPENING["en"] not in text(response)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_printed_summary_carries_the_notice_only_when_printed(
    login, sam, participant, part2_mode, language
):
    client = login(sam)
    url = reverse("consents:summary", args=[participant.pk])
    preview = client.get(url, {"language": language})
    assert OPENING[language] not in text(preview)
    printed = client.post(f"{url}?language={language}")
    assert OPENING[language] in text(printed)


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_audit_log_csv_opens_with_the_notice_in_part2_mode(
    login, adam, sam, participant, part2_mode, language
):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    response = login(adam).get(
        reverse("core:audit_log_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE=language
    )
    notice_row, blank, header, *rows = csv_rows(response)
    assert notice_row == [notice(language)] and blank == []
    assert len(header) == 11 and header[0] in ("Sequence", "Secuencia")
    assert participant.display_code in {row[7] for row in rows}


def test_the_audit_log_xlsx_opens_with_the_notice_in_part2_mode(
    login, adam, sam, participant, part2_mode
):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    response = login(adam).get(reverse("core:audit_log_export", args=["xlsx"]))
    notice_row, blank, header, *rows = load_workbook(io.BytesIO(response.content)).active.values
    assert notice_row[0] == notice("en") and not any(blank)
    assert header[:2] == ("Sequence", "When")
    assert participant.display_code in {row[7] for row in rows}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_outside_part2_mode_the_audit_log_files_start_with_their_header(login, adam, file_format):
    response = login(adam).get(reverse("core:audit_log_export", args=[file_format]))
    if file_format == "csv":
        first = csv_rows(response)[0]
    else:
        first = next(load_workbook(io.BytesIO(response.content)).active.values)
    assert first[0] == "Sequence"
