"""Mounted at /account/privacy/ inside the `accounts` namespace."""

from django.urls import path

from . import views_privacy

urlpatterns = [
    path("", views_privacy.privacy, name="privacy"),
    path("consents/", views_privacy.consent_change, name="privacy_consent"),
    path("export/", views_privacy.export_request, name="privacy_export"),
    path("export/<int:request_id>/", views_privacy.export_download, name="privacy_export_download"),
    path("correction/", views_privacy.correction_request, name="privacy_correction"),
    path("delete/", views_privacy.account_delete, name="privacy_delete"),
    path("accept/", views_privacy.policy_accept, name="privacy_accept"),
]
