"""The shop's URLs, plus the notification pages (their e-mails link to them) when shop/urls.py does not have them yet."""

from django.urls import include, path

from shop.urls import handler404, handler500  # noqa: F401
from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = list(shop_urlpatterns)
if not any(getattr(pattern, "app_name", None) == "notifications" for pattern in urlpatterns):
    urlpatterns.append(path("", include("shop.notifications.urls")))
