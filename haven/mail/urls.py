from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("offers/", views.offers, name="offers"),
    path("offers/new/", views.offer_edit, name="offer_new"),
    path("offers/<int:offer_id>/", views.offer_edit, name="offer_edit"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/approve/", views.approve, name="approve"),
    path("<int:request_id>/decline/", views.decline, name="decline"),
    path("<int:request_id>/pack/", views.pack, name="pack"),
    path("<int:request_id>/label/", views.label, name="label"),
    path("<int:request_id>/ship/", views.ship, name="ship"),
    path("<int:request_id>/delivered/", views.delivered, name="delivered"),
    path("<int:request_id>/returned/", views.returned, name="returned"),
]
