"""Celery tasks of the loyalty app. Each takes ids and calls services that are idempotent (unique source keys)."""

from celery import shared_task

from .services import campaigns, coupons, points, ranks
from .services import catch_up as catch_up_service


@shared_task
def order_paid(order_id: int) -> None:
    coupons.coupon_use_for_order(order_id=order_id)
    points.points_award_for_order(order_id=order_id)
    ranks.rank_recompute_for_order(order_id=order_id)


@shared_task
def order_cancelled(order_id: int) -> None:
    coupons.coupon_release_for_order(order_id=order_id)
    points.points_return_for_order(order_id=order_id)


@shared_task
def order_refunded(order_id: int) -> None:
    points.points_reverse_for_order(order_id=order_id)
    ranks.rank_recompute_for_order(order_id=order_id)


@shared_task
def review_published(review_id: int) -> None:
    points.points_award_for_review(review_id=review_id)


@shared_task
def review_hidden(review_id: int) -> None:
    points.points_reverse_for_review(review_id=review_id)


@shared_task
def expire_points() -> int:
    return points.points_expire()


@shared_task
def send_expiry_notices() -> int:
    return points.points_expiry_notices_due()


@shared_task
def recompute_ranks() -> int:
    return ranks.ranks_recompute_all()


@shared_task
def issue_birthday_coupons() -> int:
    return coupons.coupons_issue_birthday()


@shared_task
def issue_welcome_coupon(user_id: int) -> None:
    coupons.coupon_issue_welcome(user_id=user_id)


@shared_task
def send_campaign(campaign_id: int) -> int:
    return campaigns.campaign_send(campaign_id=campaign_id)


@shared_task
def send_scheduled_campaigns() -> int:
    return campaigns.campaigns_send_due()


@shared_task
def catch_up() -> dict[str, int]:
    return catch_up_service.loyalty_catch_up()


@shared_task
def send_lifecycle_messages() -> dict[str, int]:
    from .services import lifecycle

    return lifecycle.lifecycle_send_due()
