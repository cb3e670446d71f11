import ipaddress

from allauth.account.signals import user_signed_up
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import otp
from .models import User


@receiver(post_save, sender=TOTPDevice, dispatch_uid="accounts_2fa_cache_totp_saved")
@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts_2fa_cache_totp_deleted")
@receiver(post_save, sender=StaticDevice, dispatch_uid="accounts_2fa_cache_static_saved")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="accounts_2fa_cache_static_deleted")
def forget_two_factor_state(sender, instance, **kwargs):
    # Whether a user has two-step verification is cached for the middleware; a device change must show at once.
    otp.two_factor_cache_clear(user_id=instance.user_id)


@receiver(user_signed_up, dispatch_uid="accounts_record_signup_ip")
def record_signup_ip(sender, request, user, **kwargs):
    # Many new accounts from one network in a short time is a fraud signal for share rewards.
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        return
    User.objects.filter(pk=user.pk).update(signup_ip=address)
    user.signup_ip = address
