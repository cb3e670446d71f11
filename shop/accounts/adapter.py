from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """allauth's e-mails carry the shop's name (not the Sites framework's) in the subject and greeting."""

    def format_email_subject(self, subject: str) -> str:
        return f"[{settings.SHOP_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {"shop_name": settings.SHOP_NAME, **context})
