from django.contrib import admin
from django.urls import include, path

from haven.api.api import api
from haven.core.views import favicon, healthz
from haven.outreach.views import manifest, service_worker

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("haven.accounts.urls")),
    # Its own namespace ("otp_webauthn"), which django-otp-webauthn's script expects.
    path("accounts/passkeys/", include("haven.accounts.passkeys")),
    path("participants/", include("haven.participants.urls")),
    path("outreach/", include("haven.outreach.urls")),
    path("supplies/", include("haven.supplies.urls")),
    path("overdose/", include("haven.overdose.urls")),
    path("resources/", include("haven.resources.urls")),
    path("consents/", include("haven.consents.urls")),
    path("public/", include("haven.public.urls")),
    path("public/mail/", include("haven.mail.public_urls")),
    path("mail/", include("haven.mail.urls")),
    path("reports/", include("haven.reports.urls")),
    path("training/", include("haven.training.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("haven.core.urls")),
]
