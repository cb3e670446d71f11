from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..selectors.coupons import coupon_terms, coupons_for_user, coupons_past_for_user


@login_required
def my_coupons(request):
    current = coupons_for_user(user=request.user)
    past = coupons_past_for_user(user=request.user)
    return render(
        request,
        "loyalty/coupons.html",
        {
            "account_section": "coupons",
            "current": [(row, coupon_terms(row.coupon)) for row in current],
            "past": [(row, coupon_terms(row.coupon)) for row in past],
        },
    )
