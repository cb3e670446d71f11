import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import gateway, services

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe signs the body instead; the signature is checked before anything is written.
@require_POST
def stripe_webhook(request):
    try:
        result = services.webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature"))
    except gateway.SignatureError as error:
        logger.warning("Rejected Stripe webhook: %s", error)
        return HttpResponseBadRequest("invalid signature")
    except gateway.GatewayError as error:
        # Stripe could not be asked for the intent's state: 500 makes Stripe deliver the event again later.
        logger.error("Stripe webhook could not be applied: %s", error)
        return HttpResponse("retry later", status=503)
    return HttpResponse(result)
