from django.urls import path

from . import views_security

urlpatterns = [
    path("", views_security.security, name="security"),
    path("verify/", views_security.verify, name="security_verify"),
    path("two-factor/setup/", views_security.totp_setup, name="security_totp_setup"),
    path("two-factor/backup-codes/", views_security.backup_codes, name="security_backup_codes"),
    path("two-factor/disable/", views_security.disable, name="security_disable"),
]
