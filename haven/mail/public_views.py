"""The public mail pages: no login, no participant data, nothing about anyone who asked before.

The forms are rate-limited per network address (settings.PUBLIC_FORM_POSTS_PER_HOUR,
haven/core/ratelimit.py), carry a honeypot field and a signed one-time token: a
form posted twice is stored once. _post_public_form() takes these steps for both.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from haven.core import ratelimit

from . import actions
from .forms import RequestForm, ReversalForm, signed_token, yes_no

# Both public mail forms share one count per network address.
RATE_SCOPE = "mail-forms"


def _rate():
    return ratelimit.Rate(settings.PUBLIC_FORM_POSTS_PER_HOUR, 3600)


def _post_public_form(request, form, store, thanks):
    """The steps every public mail form takes; returns a response, or None to show the form again.

    A bot that filled the honeypot is thanked and nothing is stored. A
    network over the rate is refused. The form's one-time token makes a
    second post of the same form store nothing new (`store` returns the
    first record). Only a post that stored something is counted, so that a
    person correcting a typo is not held back. A mistake is shown on the
    form, with a fresh token when the old one expired.
    """
    if form.is_bot():
        return thanks()
    if form.is_valid():
        network = ratelimit.network_key(request)
        if ratelimit.is_limited(RATE_SCOPE, network, _rate()):
            return render(request, "mail/public_too_many.html", status=429)
        try:
            store(form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            ratelimit.count(RATE_SCOPE, network, _rate())
            return thanks()
    if "token" in form.errors:
        form.data = form.data.copy()
        form.data["token"] = signed_token()
    return None


def _add_errors(form, error):
    for name, messages in error.message_dict.items():
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, message)


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request):
    """Ask for naloxone and supplies by mail."""
    if request.method == "POST":
        form = RequestForm(request.POST)

        def store(data):
            return actions.do_submit_request(
                actions.RequestData(
                    form_token=data["token"],
                    label_name=data["label_name"],
                    line1=data["line1"],
                    line2=data["line2"],
                    city=data["city"],
                    state=data["state"],
                    zip_code=data["zip_code"],
                    quantities=form.quantities(),
                    contact_email=data["contact_email"],
                    contact_phone=data["contact_phone"],
                    witnessed_overdose=yes_no(data["witnessed_overdose"]),
                    language=translation.get_language() or "en",
                )
            )

        response = _post_public_form(
            request,
            form,
            store,
            lambda: render(
                request, "mail/public_thanks.html", {"repeat_days": settings.MAIL_REPEAT_DAYS}
            ),
        )
        if response is not None:
            return response
    else:
        initial = {"token": signed_token()}
        if request.GET.get("refill"):
            initial["witnessed_overdose"] = "yes"
        form = RequestForm(initial=initial)
    return render(
        request,
        "mail/public_request.html",
        {"form": form, "states": settings.MAIL_STATES},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reversal_form(request):
    """Tell us about an overdose where naloxone was used; offers a confidential refill."""
    if request.method == "POST":
        form = ReversalForm(request.POST)

        def store(data):
            return actions.do_file_reversal(
                actions.ReversalData(
                    form_token=data["token"],
                    city=data["city"],
                    state=data["state"],
                    zip_code=data["zip_code"],
                    occurred_on=data["occurred_on"],
                    product=data["product"],
                    doses=data["doses"],
                    emergency_services_called=yes_no(data["emergency_services_called"]),
                    outcome=data["outcome"],
                )
            )

        response = _post_public_form(
            request, form, store, lambda: render(request, "mail/public_reversal_thanks.html")
        )
        if response is not None:
            return response
    else:
        form = ReversalForm(initial={"token": signed_token()})
    return render(
        request,
        "mail/public_reversal.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def guide(request):
    """What to do in an overdose, in plain words and pictures; prints on paper."""
    return render(request, "mail/public_guide.html", {"training_url": settings.MAIL_TRAINING_URL})
