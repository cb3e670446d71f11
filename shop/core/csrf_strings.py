"""The random strings of Django's CSRF protection, drawn from os.urandom in one call instead of one call per character.

Every page with a form masks the CSRF secret with a new random string of 32 characters (so the token in the page
differs on each response), and a first visit makes the secret itself the same way. Django draws them with
get_random_string: secrets.choice for each character, each an os.urandom call, about 31 µs a string, 1% of a
member's product page and 2% of a first visit's. `random_csrf_string` gives the same thing (CSRF_SECRET_LENGTH
characters of CSRF_ALLOWED_CHARS, each equally likely, from the operating system's CSPRNG) in about 3 µs.

`install` (CoreConfig.ready) puts it in place of django.middleware.csrf._get_new_csrf_string, which both the mask and
a new secret are made with; tests/core/test_csrf_strings.py checks that Django still calls it, so an upgrade that
renames it fails there rather than falling back silently.
"""

import os

from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
# The largest multiple of the alphabet's size within a byte: bytes from it up are dropped, so that byte % 62 gives
# every character with the same chance.
_LIMIT = 256 - 256 % len(_CHARS)


def random_csrf_string(length: int = csrf.CSRF_SECRET_LENGTH) -> str:
    chars: list[str] = []
    while True:
        for byte in os.urandom(length + 8):  # 3% of bytes are dropped: one call is nearly always enough
            if byte < _LIMIT:
                chars.append(_CHARS[byte % len(_CHARS)])
                if len(chars) == length:
                    return "".join(chars)


def install() -> None:
    csrf._get_new_csrf_string = random_csrf_string
