from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import otp


@receiver(post_save, sender=TOTPDevice, dispatch_uid="accounts_2fa_cache_totp_saved")
@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts_2fa_cache_totp_deleted")
@receiver(post_save, sender=StaticDevice, dispatch_uid="accounts_2fa_cache_static_saved")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="accounts_2fa_cache_static_deleted")
def forget_two_factor_state(sender, instance, **kwargs):
    # Whether a user has two-step verification is cached for the middleware; a device change must show at once.
    otp.two_factor_cache_clear(user_id=instance.user_id)
