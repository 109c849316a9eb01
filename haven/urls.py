from django.contrib import admin
from django.urls import include, path

from haven.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("haven.accounts.urls")),
    path("participants/", include("haven.participants.urls")),
    path("outreach/", include("haven.outreach.urls")),
    path("supplies/", include("haven.supplies.urls")),
    path("overdose/", include("haven.overdose.urls")),
    path("resources/", include("haven.resources.urls")),
    path("public/", include("haven.public.urls")),
    path("admin/", admin.site.urls),
    path("", include("haven.core.urls")),
]
