"""Who is calling the API: a device token, or the web app's own logged-in session.

Both check the caller's role before anything else (before the body is even
read), so an analyst is refused with 403 whatever they send.
"""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.permissions import PARTICIPANT_ROLES

from .models import DeviceToken, hash_token

# Writing "last used" on every request would make each read a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _check_role(user, roles):
    if user.role not in roles:
        raise AuthorizationError(403, _("Your role may not use this part of the API."))
    return user


class DeviceTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token made on the settings page."""

    def __init__(self, roles):
        self.roles = roles
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str):
        device = (
            DeviceToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if device is None:
            return None
        if not device.user.is_active:
            # Refused at once, and said so: the phone of someone who has left.
            audit.record(
                device.user,
                AuditEntry.Action.REFUSED,
                device,
                request=request,
                reason="account deactivated",
            )
            raise HttpError(401, _("This account is deactivated."))
        now = timezone.now()
        if device.last_used_at is None or now - device.last_used_at > LAST_USED_RESOLUTION:
            DeviceToken.objects.filter(pk=device.pk).update(last_used_at=now)
        request.device = device
        # Views written for the web read request.user; make it the token's user.
        request.user = device.user
        return _check_role(device.user, self.roles)


class SessionAuth(APIKeyCookie):
    """The logged-in session, with Django's CSRF check on writes (the web app's own JS)."""

    param_name = "sessionid"

    def __init__(self, roles):
        self.roles = roles
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request):
            raise HttpError(
                403, _("The CSRF token is missing or wrong; reload the page and try again.")
            )
        return _check_role(user, self.roles)


def auth_for(*roles):
    """The authentication for endpoints that `roles` may use."""
    return [DeviceTokenAuth(roles), SessionAuth(roles)]


FIELD_STAFF = auth_for(*PARTICIPANT_ROLES)
