"""LINE Messaging API push messages (line-bot-sdk v3). The API host is a setting so tests can use a local stub."""

from django.conf import settings
from django.utils.translation import gettext as _
from linebot.v3.messaging import ApiClient, ApiException, Configuration, MessagingApi, PushMessageRequest
from pydantic import ValidationError
from urllib3.exceptions import HTTPError

from . import DeliveryError

# (connect, read) seconds: a slow LINE API must not hold a worker for long; the row is retried instead.
REQUEST_TIMEOUT = (5, 15)
BUTTON_LABEL_LIMIT = 40
ALT_TEXT_LIMIT = 400


def text_message(text: str) -> dict:
    return {"type": "text", "text": text}


def flex_card(
    *,
    title: str,
    button_url: str,
    text: str = "",
    image_url: str = "",
    button_label: str = "",
    price: str = "",
    code: str = "",
    alt_text: str = "",
) -> dict:
    """A Flex bubble for a product or a coupon: picture, title, price or coupon code, a line of text, one button.

    LINE shows only https images; the picture opens the same link as the button.
    """
    contents = [{"type": "text", "text": title, "weight": "bold", "size": "lg", "wrap": True}]
    if price:
        contents.append({"type": "text", "text": price, "weight": "bold", "size": "md", "color": "#1f3a5f"})
    if code:
        contents.append(
            {
                "type": "text",
                "text": _("Coupon code: %(code)s") % {"code": code},
                "weight": "bold",
                "size": "md",
                "color": "#b3261e",
                "wrap": True,
            }
        )
    if text:
        contents.append({"type": "text", "text": text, "size": "sm", "color": "#555555", "wrap": True})
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": contents},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "color": "#1f3a5f",
                    "action": {
                        "type": "uri",
                        "label": (button_label or _("See details"))[:BUTTON_LABEL_LIMIT],
                        "uri": button_url,
                    },
                }
            ],
        },
    }
    if image_url:
        bubble["hero"] = {
            "type": "image",
            "url": image_url,
            "size": "full",
            "aspectRatio": "1:1",
            "aspectMode": "cover",
            "action": {"type": "uri", "uri": button_url},
        }
    return {"type": "flex", "altText": (alt_text or title)[:ALT_TEXT_LIMIT], "contents": bubble}


def send(notification) -> None:
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        raise DeliveryError("NotConfigured", "LINE_CHANNEL_ACCESS_TOKEN is not set")
    try:
        request = PushMessageRequest.from_dict({"to": notification.recipient, "messages": notification.line_messages})
    except ValidationError as error:
        raise DeliveryError("InvalidMessage", str(error)[:2000], permanent=True)
    configuration = Configuration(host=settings.LINE_API_HOST, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
    try:
        with ApiClient(configuration) as client:
            MessagingApi(client).push_message(
                request, x_line_retry_key=str(notification.retry_key), _request_timeout=REQUEST_TIMEOUT
            )
    except ApiException as error:
        status = error.status or 0
        if status == 409:
            # LINE already accepted a push with this retry key (our earlier attempt got through): it is delivered.
            return
        body = error.body.decode(errors="replace") if isinstance(error.body, bytes) else str(error.body or "")
        # An invalid request (bad user id, bad message) fails the same way again. A bad token (401/403) or a quota
        # (429) is fixed by staff or time, so those are retried.
        permanent = status in (400, 404)
        raise DeliveryError(f"HTTP {status}", (body or str(error.reason or ""))[:2000], permanent=permanent)
    except (HTTPError, OSError) as error:
        raise DeliveryError(type(error).__name__, str(error)[:2000])


def bot_info() -> str:
    """The official account's name, from LINE (a read-only call, for `manage.py check_integrations`)."""
    configuration = Configuration(host=settings.LINE_API_HOST, access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
    with ApiClient(configuration) as client:
        info = MessagingApi(client).get_bot_info(_request_timeout=REQUEST_TIMEOUT)
    return f"{info.display_name} ({info.basic_id})"
