"""What every page needs for the offline field app."""

from haven.core.permissions import PARTICIPANT_ROLES

from .field_keys import SESSION_KEY


def field_app(request):
    """`field_key_id`: the id (not the key) of this session's key, made at sign-in
    (field_keys.py), so that the phone can tell whether it holds this session's keys."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.role in PARTICIPANT_ROLES):
        return {}
    return {"field_key_id": request.session.get(SESSION_KEY, {}).get("id", "")}
