from django.urls import path

from .views import checkout, webhooks

app_name = "payments"
urlpatterns = [
    path("checkout/", checkout.checkout, name="checkout"),
    path("checkout/review/", checkout.review, name="review"),
    path("checkout/review/discounts/", checkout.review_discounts, name="review_discounts"),
    path("checkout/pay/<str:number>/", checkout.pay, name="pay"),
    path("checkout/pay/<str:number>/card/", checkout.card_confirm, name="card_confirm"),
    path("checkout/pay/<str:number>/card/complete/", checkout.card_complete, name="card_complete"),
    path("checkout/pay/<str:number>/method/", checkout.switch_method, name="switch_method"),
    path("checkout/thanks/<str:number>/", checkout.thanks, name="thanks"),
    path("payments/webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
