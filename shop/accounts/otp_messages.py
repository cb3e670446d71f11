"""django-otp ships no Japanese catalogue. Its messages the staff see on the admin sign-in page are listed here so
`makemessages` keeps their Japanese translations in locale/ja (gettext looks them up by msgid in every catalogue)."""

from django.utils.translation import gettext_noop, ngettext_noop

DJANGO_OTP_MESSAGES = (
    gettext_noop("Please enter your OTP token."),
    gettext_noop("Invalid token. Please make sure you have entered it correctly."),
    ngettext_noop(
        "Verification temporarily disabled because of %(failure_count)d failed attempt, please try again soon.",
        "Verification temporarily disabled because of %(failure_count)d failed attempts, please try again soon.",
    ),
    gettext_noop("Verification of the token is currently disabled"),
    gettext_noop("OTP Device:"),
    gettext_noop("OTP Token:"),
    gettext_noop("Get OTP Challenge"),
    gettext_noop("The selected OTP device is not interactive"),
)
