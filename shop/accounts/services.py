from django.db import transaction

from .models import Address

ADDRESS_FIELDS = ("name", "postal_code", "prefecture", "city", "street", "building", "phone")


def address_remember(*, user, data: dict) -> Address:
    """Save a checkout address as the user's default; the same address again is not saved twice."""
    values = {field: data.get(field, "") or "" for field in ADDRESS_FIELDS}
    with transaction.atomic():
        address = Address.objects.select_for_update().filter(user=user, **values).first()
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
        if address is None:
            address = Address(user=user, **values)
        address.is_default = True
        address.save()
    return address
