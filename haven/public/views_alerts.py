"""Public drug alerts: a page and an Atom feed, no login, English and Spanish.

Only published, public alerts that are in force are shown. Alerts name an
area, never a place, and carry no counts.
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from haven.overdose.models import DrugAlert

FEED_LANGUAGES = ("en", "es")


def public_alerts():
    return DrugAlert.objects.current().public().select_related("area").order_by("-starts_at")


def alert_list(request):
    language = translation.get_language()
    alerts = [(alert, *alert.localised(language)) for alert in public_alerts()]
    return render(request, "public/alerts.html", {"alerts": alerts})


def alert_detail(request, alert_id):
    alert = get_object_or_404(public_alerts(), pk=alert_id)
    title, body = alert.localised(translation.get_language())
    return render(
        request, "public/alert_detail.html", {"alert": alert, "title": title, "body": body}
    )


@dataclass
class FeedEntry:
    alert: DrugAlert
    language: str


class AlertFeed(Feed):
    """Current public alerts as Atom, in the language of the URL."""

    feed_type = Atom1Feed

    def get_object(self, request, language="en"):
        if language not in FEED_LANGUAGES:
            raise Http404
        return language

    def title(self, language):
        with translation.override(language):
            return _("Drug alerts")

    def subtitle(self, language):
        with translation.override(language):
            return _("Warnings about the drug supply from our harm reduction program.")

    def link(self, language):
        return reverse("public:alerts")

    def feed_url(self, language):
        if language == "en":
            return reverse("public:alert_feed")
        return reverse("public:alert_feed_in", args=[language])

    def items(self, language):
        return [FeedEntry(alert, language) for alert in public_alerts()[:50]]

    def item_title(self, item):
        title, _body = item.alert.localised(item.language)
        return title

    def item_description(self, item):
        """The alert's text as the entry's summary, escaped as the alert's page escapes it.

        An Atom summary is HTML (Django writes it with type="html"), so a reader shows
        it as markup: an `<img>` or a link typed into an alert would be fetched or
        followed by every reader of the public feed (a tracking picture would tell
        its writer who reads drug alerts, and from where), while the page shows it
        as text.
        """
        _title, body = item.alert.localised(item.language)
        if item.alert.area is not None:
            with translation.override(item.language):
                body = _("%(area)s: %(text)s") % {"area": item.alert.area.name, "text": body}
        return linebreaksbr(body, autoescape=True)

    def item_link(self, item):
        return reverse("public:alert_detail", args=[item.alert.pk])

    def item_guid(self, item):
        return f"{self.item_link(item)}#{item.language}"

    def item_pubdate(self, item):
        return item.alert.published_at or item.alert.starts_at

    def item_updateddate(self, item):
        return item.alert.published_at or item.alert.starts_at

    def item_categories(self, item):
        with translation.override(item.language):
            return [str(item.alert.get_severity_display())]


alert_feed = AlertFeed()
