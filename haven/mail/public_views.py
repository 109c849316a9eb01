"""The public mail pages: no login, no participant data, nothing about anyone who asked before.

The forms are rate-limited per network address (settings.PUBLIC_FORM_POSTS_PER_HOUR),
carry a honeypot field and a signed one-time token: a form posted twice is stored once.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import actions, addresses
from .forms import RequestForm, ReversalForm, signed_token, yes_no


def _over_rate_limit(request):
    try:
        actions.check_rate_limit(addresses.network_hash(request))
    except actions.RateLimited:
        return True
    return False


def _refused_for_rate(request):
    return render(request, "mail/public_too_many.html", status=429)


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
        if form.is_bot():
            return render(request, "mail/public_thanks.html", _thanks_context())
        if form.is_valid():
            if _over_rate_limit(request):
                return _refused_for_rate(request)
            data = form.cleaned_data
            try:
                actions.do_submit_request(
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
            except ValidationError as error:
                _add_errors(form, error)
            else:
                actions.count_post("request", addresses.network_hash(request))
                return render(request, "mail/public_thanks.html", _thanks_context())
        _renew_expired_token(form)
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


def _renew_expired_token(form):
    """An expired form is shown again with a fresh token, so that sending it again works."""
    if "token" in form.errors:
        form.data = form.data.copy()
        form.data["token"] = signed_token()


def _thanks_context():
    return {"repeat_days": settings.MAIL_REPEAT_DAYS}


@never_cache
@require_http_methods(["GET", "POST"])
def reversal_form(request):
    """Tell us about an overdose where naloxone was used; offers a confidential refill."""
    if request.method == "POST":
        form = ReversalForm(request.POST)
        if form.is_bot():
            return render(request, "mail/public_reversal_thanks.html")
        if form.is_valid():
            if _over_rate_limit(request):
                return _refused_for_rate(request)
            data = form.cleaned_data
            try:
                actions.do_file_reversal(
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
            except ValidationError as error:
                _add_errors(form, error)
            else:
                actions.count_post("reversal", addresses.network_hash(request))
                return render(request, "mail/public_reversal_thanks.html")
        _renew_expired_token(form)
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
