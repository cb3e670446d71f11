from django.urls import path

from .views import coupons, points

app_name = "loyalty"
urlpatterns = [
    path("account/points/", points.my_points, name="points"),
    path("account/coupons/", coupons.my_coupons, name="coupons"),
    path("points/rules/", points.rules, name="rules"),
]
