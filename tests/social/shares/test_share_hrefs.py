"""The share buttons' links quote their URLs and titles as urllib's quote(text, safe="") does."""

import random
from urllib.parse import quote

from social.shares.templatetags.shares_tags import channel_hrefs, quoted


def test_quoted_is_urllibs_quote_with_nothing_safe():
    texts = [
        "".join(map(chr, range(128))),
        "https://shop.example.jp/s/AbC-12_x/?a=1&b=2#f~",
        "ふんわりモヘアニット <b>&amp;",
        "café au lait",
        "",
    ]
    rng = random.Random(20)
    texts += ["".join(rng.choice("aZ9_.-~:/?#[]@!$&'()*+,;= %\"<>\\^`{|}é日") for _ in range(30)) for _ in range(200)]
    for text in texts:
        assert quoted(text) == quote(text, safe=""), text


def test_channel_links_quote_the_url_and_title():
    url = "https://shop.example.jp/s/AbC12345/"
    hrefs = channel_hrefs(dict.fromkeys(("line", "x", "facebook", "copy", "native"), url), "ニット & <シャツ>")
    assert (
        hrefs["line_href"]
        == "https://social-plugins.line.me/lineit/share?url=https%3A%2F%2Fshop.example.jp%2Fs%2FAbC12345%2F"
    )
    assert hrefs["x_href"].endswith("&text=%E3%83%8B%E3%83%83%E3%83%88%20%26%20%3C%E3%82%B7%E3%83%A3%E3%83%84%3E")
    assert hrefs["copy_url"] == url
