from django.urls import path

from . import views

app_name = "shares"
urlpatterns = [
    path("s/<str:code>/", views.share_open, name="open"),
    path("account/shares/", views.my_shares, name="mine"),
    path("feed/p/<int:post_id>/go/<int:product_id>/", views.post_product_go, name="post_product"),
]
