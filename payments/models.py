from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.core.models import TimeStampedModel
from shop.core.money import Money
from shop.orders.models import Order


class PaymentSettings(models.Model):
    """One row of payment rules staff set in admin (bank account, fees, how long stock is held)."""

    card_hold_minutes = models.PositiveIntegerField(_("hold stock for unpaid card orders (minutes)"), default=30)
    bank_transfer_days = models.PositiveSmallIntegerField(_("bank transfer deadline (days)"), default=7)
    bank_name = models.CharField(_("bank"), max_length=100, default="つなぐ銀行")
    bank_branch = models.CharField(_("branch"), max_length=100, default="本店営業部（001）")
    bank_account_type = models.CharField(_("account type"), max_length=20, default="普通")
    bank_account_number = models.CharField(_("account number"), max_length=20, default="1234567")
    bank_account_holder = models.CharField(_("account holder"), max_length=100, default="カ）ツナグショップ")
    cod_fee = models.PositiveIntegerField(_("cash on delivery fee (tax incl.)"), default=330)
    cod_max_total = models.PositiveIntegerField(_("cash on delivery limit"), default=300000)
    card_enabled = models.BooleanField(_("accept cards"), default=True)
    bank_transfer_enabled = models.BooleanField(_("accept bank transfer"), default=True)
    cod_enabled = models.BooleanField(_("accept cash on delivery"), default=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")

    def __str__(self):
        return str(_("Payment settings"))

    @classmethod
    def load(cls) -> "PaymentSettings":
        return cls.objects.get_or_create(pk=1)[0]


class Payment(TimeStampedModel):
    """One attempt to pay an order. A card attempt has exactly one PaymentIntent; failed attempts are kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REQUIRES_ACTION = "requires_action", _("Needs authentication")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="payments", on_delete=models.PROTECT)
    method = models.CharField(_("method"), max_length=20, choices=Order.PaymentMethod.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="JPY")
    refunded_amount = models.PositiveIntegerField(_("refunded"), default=0)
    stripe_customer = models.CharField(_("Stripe customer"), max_length=100, blank=True)
    stripe_payment_intent = models.CharField(_("PaymentIntent"), max_length=100, null=True, blank=True, unique=True)
    stripe_charge = models.CharField(_("charge"), max_length=100, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last 4"), max_length=4, blank=True)
    # Stripe's fingerprint of the card number: the same card gives the same value (share-reward fraud checks).
    card_fingerprint = models.CharField(_("card fingerprint"), max_length=64, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error_message = models.CharField(_("error message"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")), name="payment_refund_not_over_amount"
            ),
            # At most one successful payment per order: money can never be taken twice for the same order.
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status="succeeded"), name="one_successful_payment_per_order"
            ),
        ]

    def __str__(self):
        return f"{self.order.number} {self.get_method_display()} {self.get_status_display()}"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded_amount if self.status == self.Status.SUCCEEDED else 0


class Refund(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), related_name="refunds", on_delete=models.PROTECT)
    amount = models.PositiveIntegerField(_("amount"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    stripe_refund = models.CharField(_("Stripe refund"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    error_message = models.CharField(_("error message"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"{self.payment.order.number} −{self.amount}"


class StripeCustomer(models.Model):
    """The Stripe customer of a signed-in shopper, so saved cards can be offered next time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, related_name="stripe_customer", on_delete=models.CASCADE)
    customer_id = models.CharField(max_length=100, unique=True)

    class Meta:
        verbose_name = _("Stripe customer")
        verbose_name_plural = _("Stripe customers")

    def __str__(self):
        return self.customer_id


class WebhookEvent(models.Model):
    """Every Stripe event received, by id: a replay finds its row and changes nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("-received_at",)
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self):
        return f"{self.type} {self.event_id}"
