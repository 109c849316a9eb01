from django.urls import path

from . import views

app_name = "supplies"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("mine/", views.my_bag, name="my_bag"),
    path("locations/<int:location_id>/", views.location_detail, name="location"),
    path("locations/<int:location_id>/count/", views.count, name="count"),
    path("locations/<int:location_id>/remove/", views.remove, name="remove"),
    path("locations/<int:location_id>/restock/", views.restock, name="restock"),
    path("receive/", views.receive, name="receive"),
    path("transfer/", views.transfer, name="transfer"),
    path("collect/", views.collect, name="collect"),
    path("movements/<int:movement_id>/reverse/", views.reverse_movement, name="reverse"),
    path("review/", views.review, name="review"),
    path("review/<int:movement_id>/", views.review_movement, name="review_movement"),
    path("export/ledger.csv", views.export_ledger, name="export_ledger"),
    path("export/stock.csv", views.export_stock, name="export_stock"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/items/new/", views.item_form, name="item_new"),
    path("catalog/items/<int:item_id>/", views.item_form, name="item_edit"),
    path("catalog/kits/new/", views.kit_form, name="kit_new"),
    path("catalog/kits/<int:kit_id>/", views.kit_form, name="kit_edit"),
]
