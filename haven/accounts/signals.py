"""On sign-in: start the idle clock, and clear failed attempts if no second factor follows."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import two_factor
from .middleware import LAST_SEEN_KEY


@receiver(user_logged_in)
def start_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[LAST_SEEN_KEY] = int(time.time())
    if not two_factor.has_device(user):
        two_factor.clear_failures(request, user)
