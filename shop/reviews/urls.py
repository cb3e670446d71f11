from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("p/<slug:slug>/reviews/", views.review_list, name="list"),
    path("p/<slug:slug>/reviews/write/", views.review_write, name="write"),
    path("reviews/<int:review_id>/helpful/", views.review_helpful, name="helpful"),
    path("reviews/r/<str:token>/", views.review_request_open, name="request"),
]
