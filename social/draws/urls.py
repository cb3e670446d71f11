from django.urls import path

from . import views

app_name = "draws"
urlpatterns = [
    path("draws/", views.draw_list, name="list"),
    path("draws/<slug:slug>/", views.draw_detail, name="detail"),
    path("draws/<slug:slug>/enter/", views.draw_enter, name="enter"),
]
