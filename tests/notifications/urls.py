"""The shop's URLs plus this app's, for as long as shop/urls.py does not include them itself."""

from django.urls import include, path

from shop.urls import handler404, handler500  # noqa: F401
from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = list(shop_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "notifications" for pattern in urlpatterns):
    urlpatterns.append(path("", include("shop.notifications.urls")))
