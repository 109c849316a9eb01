"""What every page needs to know about the person signed in."""

from . import two_factor


def sign_in(request):
    """`signed_in`: past the password and any second factor. Until then the field
    app stays off (no service worker, no background fetches): requests it sent
    while the second factor was being given raced the sign-in itself."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"signed_in": False}
    # The second-factor middleware has already asked, for most pages.
    if hasattr(request, "sign_in_step"):
        step = request.sign_in_step
    else:
        step = two_factor.step_needed(user)
    return {"signed_in": step is None}
