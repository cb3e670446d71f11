from django.core.files.base import File
from django.db import transaction

from .models import Address, User

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


def address_create(*, user, data: dict, make_default: bool = False) -> Address:
    """A new address from the account area; the first one a user saves is their default."""
    values = {field: data.get(field, "") or "" for field in ADDRESS_FIELDS}
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one writer per user keeps one default
        has_default = Address.objects.filter(user=user, is_default=True).exists()
        if make_default and has_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
        return Address.objects.create(user=user, is_default=make_default or not has_default, **values)


def address_update(*, address: Address, data: dict, make_default: bool = False) -> Address:
    with transaction.atomic():
        for field in ADDRESS_FIELDS:
            setattr(address, field, data.get(field, "") or "")
        if make_default and not address.is_default:
            Address.objects.filter(user_id=address.user_id, is_default=True).update(is_default=False)
            address.is_default = True
        address.save()
    return address


def address_set_default(*, address: Address) -> Address:
    with transaction.atomic():
        Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(is_default=False)
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])
    return address


def address_delete(*, address: Address) -> None:
    """Deleting the default address makes the most recently used remaining one the default."""
    with transaction.atomic():
        user_id, was_default = address.user_id, address.is_default
        address.delete()
        if was_default:
            successor = Address.objects.filter(user_id=user_id).order_by("-updated_at").first()
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated_at"])


def _delete_file_on_commit(file_name: str, storage) -> None:
    if file_name:
        transaction.on_commit(lambda: storage.delete(file_name))


def user_profile_update(
    *,
    user: User,
    display_name: str,
    birth_month: int | None,
    gender: str,
    age_band: str,
    avatar: File | bool | None = None,
) -> User:
    """avatar: a new (already cleaned, see shop.core.uploads) image, False to remove the picture, None to keep it.

    A replaced or removed picture is deleted from storage once the change is committed: it is personal data.
    """
    with transaction.atomic():
        user.display_name = display_name.strip()
        user.birth_month = birth_month
        user.gender = gender
        user.age_band = age_band
        fields = ["display_name", "birth_month", "gender", "age_band"]
        if avatar is not None:
            old_name, storage = user.avatar.name, user.avatar.storage
            if avatar is False:
                user.avatar = ""
            else:
                user.avatar.save(avatar.name, avatar, save=False)
            fields.append("avatar")
            if old_name != user.avatar.name:
                _delete_file_on_commit(old_name, storage)
        user.save(update_fields=fields)
    return user
