from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
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


class User(AbstractUser):
    """Signs in with an e-mail address; there is no username."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)

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
