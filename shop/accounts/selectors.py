from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter as get_socialaccount_adapter

from .models import Address


def address_default(*, user) -> Address | None:
    if user is None or not user.is_authenticated:
        return None
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at").first()


def address_list(*, user) -> list[Address]:
    return list(Address.objects.filter(user=user).order_by("-is_default", "-updated_at"))


def address_get(*, user, address_id: int) -> Address | None:
    """Only the user's own address: someone else's id finds nothing."""
    return Address.objects.filter(user=user, pk=address_id).first()


def user_email_verified(*, user) -> bool:
    """Whether the user has confirmed their e-mail address (reviews, posts and share rewards require it).

    Sign-in and guest checkout do not: ACCOUNT_EMAIL_VERIFICATION is "optional".
    """
    if user is None or not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_email_unverified(*, user) -> str:
    """The address to confirm when the account area should show the "please verify" notice, else ""."""
    if user is None or not user.is_authenticated or user_email_verified(user=user):
        return ""
    return user.email


def line_login_configured(*, request=None) -> bool:
    """LINE Login is offered only when a LINE channel is configured (settings/env or a SocialApp in admin)."""
    return bool(get_socialaccount_adapter().list_apps(request, provider="line"))
