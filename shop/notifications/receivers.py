"""Linking LINE through LINE Login: the user id LINE Login reports is the one the Messaging API pushes to, as long
as the LINE Login channel and the official account's Messaging API channel belong to the same LINE provider
(LINE gives each provider its own user ids). Signing up with LINE, or connecting LINE to an account, links it
for messages. Later sign-ins do not re-link: after unfollowing the official account, the user links again with a
code (pushing to someone who is not a friend of the account only fails)."""

from allauth.account.signals import user_signed_up
from allauth.socialaccount.signals import social_account_added

from . import services
from .models import LineLink


def _link_from_sociallogin(sociallogin) -> None:
    account = getattr(sociallogin, "account", None)
    if account is None or account.provider != "line" or not account.uid or not account.user_id:
        return
    services.line_link_set(user=account.user, line_user_id=account.uid, source=LineLink.Source.LOGIN)


def on_social_account(sender, request=None, sociallogin=None, **kwargs):
    _link_from_sociallogin(sociallogin)


def on_signed_up(sender, request=None, user=None, sociallogin=None, **kwargs):
    if sociallogin is not None:
        _link_from_sociallogin(sociallogin)


def connect() -> None:
    social_account_added.connect(on_social_account, dispatch_uid="notifications_line_login_added")
    user_signed_up.connect(on_signed_up, dispatch_uid="notifications_line_login_signup")
