"""Who may do what. Every view states its roles with @role_required."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

SPECIALIST = "specialist"
SUPERVISOR = "supervisor"
MANAGER = "manager"
ANALYST = "analyst"
ADMIN = "admin"

# People who work with participants and may open their records. Analysts see
# aggregate figures only; admins run the system, not the caseload.
PARTICIPANT_ROLES = (SPECIALIST, SUPERVISOR, MANAGER)
# Roles that may link duplicate participants.
MERGE_ROLES = (SUPERVISOR, MANAGER)
# Roles that may read the audit log.
AUDIT_ROLES = (ADMIN,)


def role_required(*roles):
    """Require login and one of `roles`; anyone else gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def can_read_notes_at(user, site_id):
    """Notes are read by people who work at that site, and by managers."""
    return user.role in PARTICIPANT_ROLES and site_id in user.allowed_site_ids()
