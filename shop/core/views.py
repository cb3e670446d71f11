from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from .selectors import health_status


@never_cache
def healthz(request):
    healthy, services = health_status()
    return JsonResponse({"status": "ok" if healthy else "error", **services}, status=200 if healthy else 503)


def favicon(request):
    return redirect(static("shop/favicon.svg"), permanent=True)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
