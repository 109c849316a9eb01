"""Managing staff accounts and sites: the admin role's pages call these.

Each action is one transaction and writes one audit entry (plus one for each
device token a deactivation revokes). Nothing here ever deletes a user or a
site: records point at both for ever, so they are deactivated instead.

An admin may not change their own role or deactivate themselves; the refusal
is written to the audit log (outside the refused transaction, so that it is
kept) and nothing is changed.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.api.actions import do_revoke_device_token
from haven.api.models import DeviceToken
from haven.core import audit
from haven.core.models import AuditEntry

from .models import Site, User

USER_FIELDS = ("first_name", "last_name", "email", "role")
SITE_FIELDS = ("name", "kind", "area")


def _refuse(by, obj, field, message, *, reason):
    """Keep a trace of the attempt, then refuse it with a message for the form."""
    audit.record(by, AuditEntry.Action.REFUSED, obj, reason=reason)
    raise ValidationError({field: message})


def _clean_username(username, *, exclude=None):
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Give the account a username.")})
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"username": _("That username is taken; choose another.")})
    return username


def _check_role(role):
    if role not in User.Role.values:
        raise ValidationError({"role": _("Choose one of the roles.")})


def do_create_user(
    by, *, username, password, role, sites=(), first_name="", last_name="", email=""
):
    """Make a staff account with an initial password the admin hands over in person.

    The password must pass the program's password rules (AUTH_PASSWORD_VALIDATORS).
    """
    username = _clean_username(username)
    _check_role(role)
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=User.objects.normalize_email(email.strip()),
        role=role,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    with transaction.atomic():
        user.save()
        user.sites.set(sites)
        audit.record(
            by,
            AuditEntry.Action.CREATE,
            user,
            role=role,
            sites=sorted(site.pk for site in sites),
        )
    return user


def do_update_user(by, user, *, role, sites, first_name="", last_name="", email=""):
    """Change a staff member's name, email, role and sites.

    The audit entry names the fields changed, the old and new role and the
    sites added and removed (ids only).
    """
    _check_role(role)
    if user.pk == by.pk and role != user.role:
        _refuse(
            by,
            user,
            "role",
            _("You cannot change your own role. Ask another administrator."),
            reason="own role",
        )
    new = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": User.objects.normalize_email(email.strip()),
        "role": role,
    }
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed = [field for field in USER_FIELDS if getattr(user, field) != new[field]]
        old_role = user.role
        old_site_ids = set(user.sites.values_list("pk", flat=True))
        new_site_ids = {site.pk for site in sites}
        for field in changed:
            setattr(user, field, new[field])
        if changed:
            user.save(update_fields=changed)
        detail = {"fields": changed + (["sites"] if old_site_ids != new_site_ids else [])}
        if old_site_ids != new_site_ids:
            user.sites.set(sites)
            detail["sites_added"] = sorted(new_site_ids - old_site_ids)
            detail["sites_removed"] = sorted(old_site_ids - new_site_ids)
        if "role" in changed:
            detail["old_role"] = old_role
            detail["new_role"] = role
        if detail["fields"]:
            audit.record(by, AuditEntry.Action.UPDATE, user, **detail)
    return user


def end_sessions_and_devices(user, *, by):
    """Log `user` out everywhere and revoke every device token, at once.

    An inactive user is refused on their next request anyway (Django's login
    backend and the API's token check both look at is_active); ending the
    sessions and revoking the tokens makes sure a later reactivation does not
    bring back a session or a token on a phone that has since been lost.
    """
    for device in DeviceToken.objects.filter(user=user, revoked_at__isnull=True):
        do_revoke_device_token(device, by=by)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        # Signed-cookie sessions live in the browser; is_active refuses them.
        return
    # Sessions are not indexed by user; a program has few enough staff
    # sessions that reading them all on a (rare) deactivation is cheap.
    sessions = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            store(session_key=session.session_key).delete()


def do_deactivate_user(by, user):
    if user.pk == by.pk:
        _refuse(
            by,
            user,
            "is_active",
            _("You cannot deactivate your own account. Ask another administrator."),
            reason="deactivate self",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit.record(by, AuditEntry.Action.DEACTIVATE, user)
        end_sessions_and_devices(user, by=by)
    return user


def do_reactivate_user(by, user):
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit.record(by, AuditEntry.Action.UPDATE, user, fields=["is_active"])
    return user


def _clean_site(name, kind, area, *, exclude=None):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the site a name.")})
    taken = Site.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a site with that name.")})
    if kind not in Site.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of site this is.")})
    return {"name": name, "kind": kind, "area": (area or "").strip()}


@transaction.atomic
def do_create_site(by, *, name, kind, area=""):
    site = Site.objects.create(**_clean_site(name, kind, area))
    audit.record(by, AuditEntry.Action.CREATE, site)
    return site


@transaction.atomic
def do_update_site(by, site, *, name, kind, area=""):
    new = _clean_site(name, kind, area, exclude=site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    changed = [field for field in SITE_FIELDS if getattr(site, field) != new[field]]
    if changed:
        for field in changed:
            setattr(site, field, new[field])
        site.save(update_fields=changed)
        audit.record(by, AuditEntry.Action.UPDATE, site, fields=changed)
    return site


@transaction.atomic
def do_deactivate_site(by, site):
    """A closed site keeps its records; it is no longer offered for new work."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    if site.active:
        site.active = False
        site.save(update_fields=["active"])
        audit.record(by, AuditEntry.Action.DEACTIVATE, site)
    return site


@transaction.atomic
def do_reactivate_site(by, site):
    site = Site.objects.select_for_update().get(pk=site.pk)
    if not site.active:
        site.active = True
        site.save(update_fields=["active"])
        audit.record(by, AuditEntry.Action.UPDATE, site, fields=["active"])
    return site
