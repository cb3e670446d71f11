from django.urls import include, path

from . import views

urlpatterns = [
    path("_bench/ceiling/", views.ceiling, name="bench_ceiling"),
    path("", include("shop.urls")),
]

handler404 = "shop.core.views.page_not_found"
handler500 = "shop.core.views.server_error"
