import functools

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


@functools.lru_cache(maxsize=4096)
def _session_auth_hash(password: str, secret: str) -> str:
    key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"  # Django's, so sessions carry over
    return salted_hmac(key_salt, password, secret=secret, algorithm="sha256").hexdigest()


class User(AbstractUser):
    """Signs in with an e-mail address; there is no username."""

    username = None
    first_name = None
    last_name = None

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        NO_ANSWER = "no_answer", _("Prefer not to say")

    class AgeBand(models.TextChoices):
        TEENS = "teens", _("Under 20")
        TWENTIES = "20s", _("20s")
        THIRTIES = "30s", _("30s")
        FORTIES = "40s", _("40s")
        FIFTIES = "50s", _("50s")
        SIXTY_PLUS = "60plus", _("60 or over")

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    avatar = models.ImageField(_("profile picture"), upload_to="avatars/%Y/%m/", blank=True)
    birth_month = models.PositiveSmallIntegerField(
        _("birthday month"), null=True, blank=True, choices=[(m, m) for m in range(1, 13)]
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    # Set when the account is deleted at the user's request: the row stays (orders point to it) without personal data.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Where the account was made from: many new accounts from one network is a fraud signal for share rewards.
    signup_ip = models.GenericIPAddressField(_("sign-up IP address"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name

    def _get_session_auth_hash(self, secret=None):
        """Django's HMAC of the password hash that every session of a member carries and every request checks,
        remembered per process (`_session_auth_hash`): the same member sends the same session page after page, and
        the HMAC (a key derived from the secret, then SHA-256) was about 25 µs of each of their requests. It is
        still a function of the password hash and the secret alone: a new password or secret is a new entry. The
        memo holds password hashes, as every user loaded in the process does, never a password."""
        return _session_auth_hash(self.password, settings.SECRET_KEY if secret is None else secret)


class Address(models.Model):
    """A shipping address a signed-in shopper saved at checkout."""

    user = models.ForeignKey(User, verbose_name=_("user"), related_name="addresses", on_delete=models.CASCADE)
    name = models.CharField(_("full name"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=8)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    street = models.CharField(_("street address"), max_length=200)
    building = models.CharField(_("building, room"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=15)
    is_default = models.BooleanField(_("default"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-is_default", "-updated_at")
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        return f"{self.name} 〒{self.postal_code} {self.prefecture}{self.city}{self.street} {self.building}".strip()

    def as_dict(self) -> dict:
        fields = ("name", "postal_code", "prefecture", "city", "street", "building", "phone")
        return {field: getattr(self, field) for field in fields}


class LegalPage(models.Model):
    """Privacy policy, terms, 特定商取引法に基づく表記, shipping and returns: each a series of versions."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms of use")
        TOKUSHOHO = "tokushoho", _("Legal notice (特定商取引法に基づく表記)")
        SHIPPING = "shipping", _("Shipping information")
        RETURNS = "returns", _("Returns and refunds")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, unique=True)
    title = models.CharField(_("title"), max_length=100)
    # A new version of a page that asks for acceptance (privacy policy, terms) asks signed-in users to accept again.
    requires_acceptance = models.BooleanField(_("users must accept it"), default=False)

    class Meta:
        verbose_name = _("legal page")
        verbose_name_plural = _("legal pages")

    def __str__(self):
        return self.title


class LegalPageVersion(models.Model):
    page = models.ForeignKey(LegalPage, verbose_name=_("page"), related_name="versions", on_delete=models.PROTECT)
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text"), help_text=_("Plain text; blank lines start new paragraphs."))
    change_summary = models.CharField(_("what changed"), max_length=300, blank=True)
    effective_at = models.DateTimeField(_("in force from"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)

    class Meta:
        ordering = ("page", "-version")
        verbose_name = _("legal page version")
        verbose_name_plural = _("legal page versions")
        constraints = [models.UniqueConstraint(fields=["page", "version"], name="legal_page_version_unique")]

    def __str__(self):
        return f"{self.page} v{self.version}"


class PolicyAcceptance(models.Model):
    user = models.ForeignKey(User, related_name="policy_acceptances", on_delete=models.CASCADE)
    version = models.ForeignKey(LegalPageVersion, related_name="acceptances", on_delete=models.PROTECT)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="policy_accepted_once")]

    def __str__(self):
        return f"{self.user} – {self.version}"


class Consent(models.Model):
    """Append-only record of consents given and withdrawn; the latest row per purpose is the user's choice."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing messages (e-mail, LINE)")
        PERSONALISATION = "personalisation", _("Personalised recommendations")
        ANALYTICS = "analytics", _("Analytics cookies")

    user = models.ForeignKey(User, null=True, blank=True, related_name="consents", on_delete=models.CASCADE)
    # Visitors without an account (the cookie banner) are recorded by an anonymous browser id.
    visitor_id = models.CharField(max_length=40, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    policy_version = models.ForeignKey(
        LegalPageVersion,
        verbose_name=_("privacy policy version"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    source = models.CharField(_("where"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self):
        return f"{self.get_purpose_display()}: {'✓' if self.granted else '✗'}"


class PrivacyRequest(models.Model):
    """A customer's request under APPI: disclosure, correction or deletion of their personal data."""

    class Kind(models.TextChoices):
        DISCLOSURE = "disclosure", _("Disclosure (download my data)")
        CORRECTION = "correction", _("Correction")
        DELETION = "deletion", _("Deletion")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(User, null=True, blank=True, related_name="privacy_requests", on_delete=models.SET_NULL)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    details = models.TextField(_("details"), blank=True)
    export_file = models.FileField(_("export"), upload_to="exports/", blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(User, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    response = models.TextField(_("response"), blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class PersonalDataAccess(models.Model):
    """Every time a staff member opens a customer's personal data in admin."""

    staff = models.ForeignKey(User, verbose_name=_("staff"), null=True, related_name="+", on_delete=models.SET_NULL)
    customer = models.ForeignKey(
        User, verbose_name=_("customer"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    what = models.CharField(_("what"), max_length=200)
    path = models.CharField(_("page"), max_length=300)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self):
        return f"{self.staff} → {self.what}"


class KnownBrowser(models.Model):
    """A browser a member has signed in from, recognised by the long-lived signed "shop_device" cookie.

    Account protection only: a sign-in from a browser that is not known for this member sends a notice. (The social
    layer's shares.KnownDevice is a different thing: a fraud signal for share rewards.)"""

    user = models.ForeignKey(User, verbose_name=_("member"), related_name="known_browsers", on_delete=models.CASCADE)
    device_id = models.CharField(_("browser id"), max_length=64)
    label = models.CharField(_("device"), max_length=100, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        ordering = ("-last_seen",)
        verbose_name = _("known browser (sign-in)")
        verbose_name_plural = _("known browsers (sign-in)")
        constraints = [models.UniqueConstraint(fields=["user", "device_id"], name="accounts_known_browser_once")]

    def __str__(self):
        return f"{self.user_id} {self.label or self.device_id[:8]}"


class SignInEvent(models.Model):
    """Every sign-in attempt, successful or not: the record staff read for unusual patterns."""

    user = models.ForeignKey(
        User, verbose_name=_("member"), null=True, blank=True, related_name="sign_in_events", on_delete=models.SET_NULL
    )
    email = models.CharField(_("e-mail address tried"), max_length=254, blank=True)
    success = models.BooleanField(_("succeeded"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The /24 (IPv4) or /48 (IPv6) the address is in: one home, office or carrier gateway.
    network = models.CharField(_("network"), max_length=50, blank=True, db_index=True)
    user_agent = models.CharField(_("browser (user agent)"), max_length=300, blank=True)
    device_label = models.CharField(_("device"), max_length=100, blank=True)
    known_device = models.BooleanField(_("known browser"), default=False)
    notice_sent = models.BooleanField(_("new sign-in notice sent"), default=False)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        indexes = [models.Index(fields=["network", "success", "created_at"], name="accounts_signin_network")]

    def __str__(self):
        return f"{self.email or self.user_id} {'✓' if self.success else '✗'} {self.ip or ''}"


class MemberSession(AbstractBaseSession):
    """Django's database session with the signed-in member's id beside the data (shop.accounts.sessions), so that
    reading a session reads its member too, in one statement; deleting a member ends their sessions."""

    user = models.ForeignKey(
        User, verbose_name=_("member"), null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
