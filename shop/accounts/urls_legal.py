"""Mounted at /legal/: the privacy policy, terms, 特定商取引法に基づく表記, shipping and returns, and the cookie banner."""

from django.urls import path

from . import views_privacy

app_name = "legal"
urlpatterns = [
    path("cookies/", views_privacy.cookie_choice, name="cookie_choice"),
    path("<slug:kind>/", views_privacy.legal_page, name="page"),
    path("<slug:kind>/v<int:version>/", views_privacy.legal_page, name="page_version"),
]
