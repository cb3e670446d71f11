"""The member's product views and recommendation clicks in "download my data"; deleted with the account."""

from .models import ProductView, Recommendation, RecommendationClick, Slot


def recommend_export(*, user) -> list[dict]:
    views = [
        {"kind": "view", "product_id": product_id, "day": day.isoformat()}
        for product_id, day in ProductView.objects.filter(user=user).order_by("day").values_list("product_id", "day")
    ]
    clicks = [
        {"kind": "recommendation_click", "slot": slot, "product_id": product_id, "time": created_at.isoformat()}
        for slot, product_id, created_at in RecommendationClick.objects.filter(user=user)
        .order_by("created_at")
        .values_list("slot", "product_id", "created_at")
    ]
    return views + clicks


def recommend_anonymise(*, user) -> None:
    ProductView.objects.filter(user=user).delete()
    RecommendationClick.objects.filter(user=user).update(user=None)
    Recommendation.objects.filter(slot=Slot.HOME, key=str(user.pk)).delete()
