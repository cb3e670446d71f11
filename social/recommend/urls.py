from django.urls import path

from . import views

app_name = "recommend"

urlpatterns = [
    path("recommend/<slug:slot>/", views.block, name="block"),
    path("r/<slug:slot>/<int:product_id>/", views.click, name="click"),
]
