"""What every page needs to know about the person signed in."""

from . import two_factor


def sign_in(request):
    """`signed_in`: past the password and any second factor. Until then the field
    app stays off (no service worker, no background fetches): requests it sent
    while the second factor was being given raced the sign-in itself."""
    user = getattr(request, "user", None)
    return {
        "signed_in": bool(user and user.is_authenticated and two_factor.step_needed(user) is None)
    }
