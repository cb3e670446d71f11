from django.urls import path

from . import views

app_name = "social"
urlpatterns = [
    path("feed/", views.feed, name="feed"),
    path("feed/new/", views.post_new, name="post_new"),
    path("feed/p/<int:post_id>/", views.post_detail, name="post"),
    path("feed/p/<int:post_id>/like/", views.like, name="like"),
    path("feed/p/<int:post_id>/comment/", views.comment, name="comment"),
    path("feed/report/", views.report, name="report"),
    path("feed/mark/", views.mark, name="mark"),
    path("feed/shop/follow/", views.follow, name="follow_shop"),
    path("u/<int:user_id>/", views.profile, name="profile"),
    path("u/<int:user_id>/follow/", views.follow, name="follow"),
]
