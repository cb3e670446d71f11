from .models import Address


def address_default(*, user) -> Address | None:
    if user is None or not user.is_authenticated:
        return None
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at").first()
