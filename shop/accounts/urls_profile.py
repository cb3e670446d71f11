from django.urls import path

from . import views_profile

urlpatterns = [
    path("", views_profile.profile, name="profile"),
    path("addresses/", views_profile.address_list, name="addresses"),
    path("addresses/new/", views_profile.address_create, name="address_create"),
    path("addresses/<int:address_id>/", views_profile.address_update, name="address_update"),
    path("addresses/<int:address_id>/delete/", views_profile.address_delete, name="address_delete"),
    path("addresses/<int:address_id>/default/", views_profile.address_set_default, name="address_set_default"),
]
