from django.urls import path

from . import views

app_name = "shares"
urlpatterns = [
    path("s/<str:code>/", views.share_open, name="open"),
    path("account/shares/", views.my_shares, name="mine"),
]
