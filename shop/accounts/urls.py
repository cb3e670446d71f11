"""The account area at /account/: profile and addresses, security and two-factor, privacy. Sign-in itself is
allauth's, at /accounts/."""

from django.urls import include, path

app_name = "accounts"
urlpatterns = [
    path("", include("shop.accounts.urls_profile")),
    path("security/", include("shop.accounts.urls_security")),
    path("privacy/", include("shop.accounts.urls_privacy")),
]
