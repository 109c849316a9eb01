"""URLs with a page written without haven/core/access.py, to test the audit sweep itself."""

from django.http import HttpResponse
from django.urls import path

from haven.participants.models import Participant


def leaky(request, participant_id):
    """Shows a card code and audits nothing: what the sweep must catch."""
    return HttpResponse(Participant.objects.get(pk=participant_id).display_code)


def mystery(request, gadget_id):
    return HttpResponse("")


urlpatterns = [
    path("leaky/<int:participant_id>/", leaky),
    path("mystery/<int:gadget_id>/", mystery),
]
