"""Turns a kind and its context into the content of one channel, in the recipient's language.

Templates live in templates/notifications/<kind>/: subject.txt, body.txt, body.html (e-mail) and line.txt (LINE;
body.txt when absent). A language-specific file (body.en.txt) wins over the shared one, which is translated with
{% translate %} under the recipient's language. LINE messages can instead come from a Python builder registered in
LINE_BUILDERS. A context entry "line_card" (title, text, image_url, button_label, button_url, price) adds a Flex card.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation

from .channels.line import flex_card, text_message
from .models import Channel

# kind -> builder(context) returning LINE message objects (dicts in the Messaging API's JSON shape).
LINE_BUILDERS: dict[str, Callable[[dict], list[dict]]] = {}
LINE_TEXT_LIMIT = 5000
SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


@dataclass
class Rendered:
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    line_messages: list[dict] = field(default_factory=list)


def language_for(*, user=None, context: dict) -> str:
    """The recipient's language: an explicit one in the context (e.g. the order's), else the user's if the
    model has one, else Japanese."""
    for candidate in (context.get("language"), getattr(user, "language", None)):
        if candidate:
            code = str(candidate).split("-")[0].lower()
            if code in SUPPORTED_LANGUAGES:
                return code
    return settings.LANGUAGE_CODE


def _names(folder: str, name: str, language: str) -> list[str]:
    stem, extension = name.rsplit(".", 1)
    return [f"notifications/{folder}/{stem}.{language}.{extension}", f"notifications/{folder}/{name}"]


def _render(folder: str, name: str, language: str, context: dict, *, required: bool = True) -> str:
    try:
        template = select_template(_names(folder, name, language))
    except TemplateDoesNotExist:
        if required:
            raise
        return ""
    return template.render(context)


def _tidy(text: str) -> str:
    """Template tags leave blank runs; messages read better with at most one empty line between paragraphs."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text)


def render_channel(*, folder: str, channel: str, language: str, context: dict) -> Rendered:
    with translation.override(language):
        context = {"LANGUAGE_CODE": language, "channel": channel, **context}
        if channel == Channel.EMAIL:
            subject = " ".join(_render(folder, "subject.txt", language, context).split())
            return Rendered(
                subject=subject[:255],
                body_text=_tidy(_render(folder, "body.txt", language, context)),
                body_html=_render(folder, "body.html", language, context, required=False).strip(),
            )
        builder = LINE_BUILDERS.get(folder)
        if builder is not None:
            return Rendered(line_messages=builder(context))
        text = _render(folder, "line.txt", language, context, required=False) or _render(
            folder, "body.txt", language, context
        )
        messages = [text_message(_tidy(text)[:LINE_TEXT_LIMIT])]
        card = context.get("line_card")
        if card:
            messages.append(flex_card(**card))
        return Rendered(line_messages=messages)
