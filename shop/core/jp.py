"""Japanese address and phone rules, shared by every form that takes an address."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県",
    "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
]  # fmt: skip
PREFECTURE_CHOICES = [(p, p) for p in PREFECTURES]

# Areas that ships take longer to reach (extra days added to the delivery estimate).
REMOTE_PREFECTURES = {"北海道", "沖縄県"}

_DASHES = "-‐‑‒–—―−ー－"


def _ascii_digits(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    return "".join("-" if ch in _DASHES else ch for ch in value)


def normalize_postal_code(value: str) -> str:
    """ "１２３ー４５６７", "1234567" or "〒123-4567" -> "123-4567"; ValidationError otherwise."""
    digits = re.sub(r"[\s〒-]", "", _ascii_digits(value))
    if not re.fullmatch(r"\d{7}", digits):
        raise ValidationError(_("Enter a 7-digit postal code, e.g. 150-0001."), code="postal_code")
    return f"{digits[:3]}-{digits[3:]}"


def normalize_phone(value: str) -> str:
    """Japanese numbers: 10 or 11 digits starting with 0 (hyphens, spaces and full-width digits allowed)."""
    text = _ascii_digits(value)
    if text.startswith("+81"):
        text = "0" + text[3:]
    digits = re.sub(r"[\s()-]", "", text)
    if not re.fullmatch(r"0\d{9,10}", digits):
        raise ValidationError(_("Enter a phone number of 10 or 11 digits, e.g. 090-1234-5678."), code="phone")
    return digits
