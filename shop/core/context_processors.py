from django.conf import settings


def site(request):
    return {"SHOP_NAME": settings.SHOP_NAME}
