from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("account/notifications/", views.preferences, name="preferences"),
    path("account/notifications/line-code/", views.line_code, name="line_code"),
    path("account/notifications/line-unlink/", views.line_unlink, name="line_unlink"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("line/webhook/", views.line_webhook, name="line_webhook"),
]
