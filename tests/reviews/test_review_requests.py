import re

from django.core import mail

from shop.orders.models import Order
from shop.orders.signals import order_delivered
from shop.reviews.models import Review, ReviewRequest

from .conftest import buy, make_user


def _link(message) -> str:
    return re.search(r"/reviews/r/[^/\s]+/", message.body).group(0)


def test_delivery_sends_one_review_request_and_a_second_signal_none(
    product, shipping_methods, django_capture_on_commit_callbacks
):
    buyer = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(buyer, product.variants.first(), deliver=True)
    requests = [m for m in mail.outbox if "/reviews/r/" in m.body]
    assert len(requests) == 1 and requests[0].to == [buyer.email]
    with django_capture_on_commit_callbacks(execute=True):
        order_delivered.send(sender=Order, order_id=order.pk)
    assert len([m for m in mail.outbox if "/reviews/r/" in m.body]) == 1
    assert ReviewRequest.objects.count() == 1


def test_link_opens_the_form_after_sign_in_and_works_once(
    client, product, shipping_methods, django_capture_on_commit_callbacks
):
    buyer = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        buy(buyer, product.variants.first(), deliver=True)
    link = _link(next(m for m in mail.outbox if "/reviews/r/" in m.body))
    response = client.get(link)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(buyer)
    assert client.get(link).status_code == 200
    response = client.post(link, {"rating": "5", "title": "届きました", "body": "良かったです"})
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.verified_purchase and review.status == Review.Status.PUBLISHED
    again = client.get(link)
    assert again.status_code == 302 and product.get_absolute_url() in again["Location"]


def test_link_of_someone_else_and_a_forged_link_are_refused(
    client, product, shipping_methods, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        buy(make_user(), product.variants.first(), deliver=True)
    link = _link(next(m for m in mail.outbox if "/reviews/r/" in m.body))
    client.force_login(make_user())
    assert client.get(link).status_code == 302
    assert client.post(link, {"rating": "5", "title": "x", "body": "y"}).status_code == 302
    assert not Review.objects.exists()
    assert client.get("/reviews/r/forged-token/").status_code == 302
