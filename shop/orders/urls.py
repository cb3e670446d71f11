from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/update/", views.cart_line_update, name="cart_line_update"),
    path("cart/lines/<int:line_id>/remove/", views.cart_line_remove, name="cart_line_remove"),
    path("account/orders/", views.order_list, name="order_list"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
]
