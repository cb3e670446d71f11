import datetime
import re

ATTRIBUTION_WINDOW = datetime.timedelta(days=7)
VISITOR_COOKIE = "shop_vid"
SHARE_COOKIE = "shop_share"
SHARE_COOKIE_SALT = "social.shares.share"
CODE_RE = re.compile(r"^[A-Za-z0-9]{6,16}$")
# Link-preview fetchers and crawlers open shared links without a person behind them. "Line/" is LINE's previewer
# (its in-app browser says "Line" too, but with a Mozilla prefix, so only a UA *starting* with it is a bot).
BOT_UA_RE = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|facebookcatalog|embedly|preview|headless|curl|wget|python-requests"
    r"|^line/|^linekit|skypeuripreview|whatsapp|discord|slack",
    re.IGNORECASE,
)
