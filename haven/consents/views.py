from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from haven.core import access, audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import MANAGER, PARTICIPANT_ROLES, role_required

from . import rules, summary
from .actions import (
    current_text,
    do_record_consent,
    do_record_disclosure,
    do_save_consent_text,
    do_withdraw_consent,
)
from .forms import ConsentForm, ConsentTextForm
from .models import ConsentText, Disclosure, Kind, TextLanguage


def _language_for(request, participant):
    """The participant's language for a page printed for them: asked, else their last consent's."""
    asked = request.GET.get("language")
    if asked in TextLanguage.values:
        return asked
    last = rules.consents_of(participant).order_by("-recorded_at").first()
    return last.language if last else translation.get_language()[:2]


@role_required(*PARTICIPANT_ROLES)
def participant_consents(request, participant_id):
    """Every consent of a participant, recording a new one, and withdrawing one.

    The referral form, refused for want of a consent to share, opens this page
    by a POST marked `prefill` with the kind and the provider chosen; nothing
    is checked or recorded. The provider (a methadone clinic, an HIV clinic)
    thus never goes into the address beside the participant's record id,
    where a shared computer's history would keep it; a GET takes only the kind
    from its query.
    """
    participant = access.get_participant_for_user(request, participant_id, page="consents")
    prefill = request.method == "POST" and "prefill" in request.POST
    if prefill:
        initial = {"kind": request.POST.get("kind"), "provider": request.POST.get("provider")}
    else:
        initial = {"kind": request.GET.get("kind")}
    recording = request.method == "POST" and "withdraw" not in request.POST and not prefill
    form = ConsentForm(request.POST if recording else None, initial=initial)
    if request.method == "POST" and "withdraw" in request.POST:
        withdraw = request.POST["withdraw"]
        if not withdraw.isdigit():
            raise Http404
        consent = get_object_or_404(rules.consents_of(participant), pk=withdraw)
        try:
            do_withdraw_consent(consent, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Consent withdrawn. It stops applying now."))
        return redirect("consents:participant", participant_id=participant.pk)
    if request.method == "POST" and form.is_valid():
        try:
            do_record_consent(
                participant, by=request.user, site=request.user.default_site(), **form.cleaned_data
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("consents:participant", participant_id=participant.pk)
    consents = rules.consents_of(participant).select_related(
        "text", "provider", "recorded_by", "withdrawn_by"
    )
    kind = form["kind"].value()
    context = {
        "participant": participant,
        "form": form,
        "consents": consents,
        "in_force": rules.consents_in_force(participant),
        "texts": [text for text in map(current_text, Kind.values) if text is not None],
        "chosen_text": current_text(kind) if kind in Kind.values else None,
        "part2_mode": rules.part2_mode(),
    }
    return render(request, "consents/participant.html", context, status=400 if form.errors else 200)


@role_required(*PARTICIPANT_ROLES)
def accounting(request, participant_id):
    """The accounting of disclosures of the past three years, printable, in their language."""
    participant = access.get_participant_for_user(
        request, participant_id, page="accounting of disclosures"
    )
    language = _language_for(request, participant)
    with translation.override(language):
        context = {
            "participant": participant,
            "disclosures": list(rules.accounting_of_disclosures(participant)),
            "since": rules.accounting_start(),
            "language": language,
            "languages": TextLanguage.choices,
        }
        return render(request, "consents/accounting.html", context)


@role_required(*PARTICIPANT_ROLES)
def participant_summary(request, participant_id):
    """What Haven holds about a participant, for them. Printing it is audited (and disclosed)."""
    participant = access.get_participant_for_user(
        request, participant_id, page="participant's own summary"
    )
    language = _language_for(request, participant)
    printing = request.method == "POST"
    if printing:
        with transaction.atomic():
            do_record_disclosure(
                participant,
                channel=Disclosure.Channel.PRINTED,
                recipient=_("The participant themself"),
                information=_("A summary of their records"),
                purpose=_("At their request"),
                by=request.user,
            )
            audit.record(
                request.user,
                AuditEntry.Action.EXPORT,
                participant,
                request=request,
                page="participant's own summary printed",
                notes=settings.HAVEN_SUMMARY_INCLUDES_NOTES,
            )
    with translation.override(language):
        context = summary.summary_for(
            participant, include_notes=settings.HAVEN_SUMMARY_INCLUDES_NOTES, user=request.user
        )
        context.update(
            {
                "participant": participant,
                "printing": printing,
                "language": language,
                "languages": TextLanguage.choices,
            }
        )
        return render(request, "consents/summary.html", context)


@role_required(MANAGER)
def texts(request):
    """The program's consent texts: the current version of each kind, and a new version."""
    form = ConsentTextForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            text = do_save_consent_text(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s saved. Consents already recorded keep their text.")
                % {"version": text.version},
            )
            return redirect("consents:texts")
    context = {
        "form": form,
        "current": [text for text in map(current_text, Kind.values) if text is not None],
        "count": ConsentText.objects.count(),
    }
    return render(request, "consents/texts.html", context, status=400 if form.errors else 200)
