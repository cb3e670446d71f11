from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from . import privacy_services


@receiver(user_signed_up, dispatch_uid="accounts_accept_current_policies")
def accept_current_policies(sender, request, user, **kwargs):
    # Signing up is accepting the privacy policy and terms shown on the sign-up page.
    privacy_services.legal_accept_current(user=user)
