"""The inbound spam filter: each kind of rule holds a submission and says why; every call counts for frequency."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from shop.core.models import SpamRule
from shop.core.spam import spam_check

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 1, 10, 15, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _only_rules_of_the_test(db):
    SpamRule.objects.all().delete()
    with translation.override("en"):  # the reasons are checked in English
        yield


def rule(**kwargs) -> SpamRule:
    return SpamRule.objects.create(**kwargs)


def test_default_rules_come_with_the_migration():
    # The autouse fixture removed them for the other tests; the migration's own function puts them back.
    import importlib

    from django.apps import apps

    migration = importlib.import_module("shop.core.migrations.0003_default_spam_rules")
    migration.add_rules(apps, None)
    words = set(SpamRule.objects.filter(kind="keyword").values_list("pattern", flat=True))
    assert {"副業", "稼げる", "出会い"} <= words
    frequency = SpamRule.objects.get(kind="frequency", applies_to="inquiry")
    assert frequency.threshold == 5
    verdict = spam_check(kind="comment", text="在宅で副業！簡単に稼げる方法", user_id=1, now=NOW)
    assert verdict.held
    assert any("副業" in reason for reason in verdict.reasons)
    assert any("稼げる" in reason for reason in verdict.reasons)


def test_clean_text_passes():
    rule(kind="keyword", pattern="副業")
    verdict = spam_check(kind="inquiry", text="サイズ交換をお願いできますか", email="a@example.jp", now=NOW)
    assert verdict.held is False and verdict.reasons == []


def test_keyword_ignores_width_and_case():
    rule(kind="keyword", pattern="free money")
    verdict = spam_check(kind="review", text="ＦＲＥＥ Ｍｏｎｅｙ here", user_id=7, now=NOW)
    assert verdict.held
    assert verdict.reasons == ["Contains the word “free money”."]


@pytest.mark.parametrize(
    ("pattern", "email", "ip", "held"),
    [
        ("spam.example", "bot@spam.example", None, True),
        ("@spam.example", "BOT@Spam.Example", None, True),
        ("spam.example", "bot@notspam.example", None, False),
        ("bad@example.jp", "bad@example.jp", None, True),
        ("bad@example.jp", "good@example.jp", None, False),
        ("203.0.113.9", "", "203.0.113.9", True),
        ("203.0.113.9", "", "203.0.113.90", False),
    ],
)
def test_sender_rule_matches_address_domain_or_ip(pattern, email, ip, held):
    rule(kind="sender", pattern=pattern)
    verdict = spam_check(kind="inquiry", text="こんにちは", email=email, ip=ip, now=NOW)
    assert verdict.held is held
    if held:
        assert pattern in verdict.reasons[0]


def test_frequency_holds_the_submission_after_n_per_hour_and_counts_every_call():
    rule(kind="frequency", applies_to="inquiry", threshold=3)
    verdicts = [spam_check(kind="inquiry", text=f"質問{i}", email="many@example.jp", now=NOW) for i in range(5)]
    assert [v.held for v in verdicts] == [False, False, False, True, True]
    assert "4" in verdicts[3].reasons[0] and "3" in verdicts[3].reasons[0]
    # Held submissions count too: the fifth is the fifth.
    assert "5" in verdicts[4].reasons[0]
    # Another sender, and another kind, have their own counts.
    assert not spam_check(kind="inquiry", text="質問", email="one@example.jp", now=NOW).held
    assert not spam_check(kind="comment", text="コメント", email="many@example.jp", now=NOW).held
    # A new hour starts a new count.
    later = NOW + datetime.timedelta(hours=1)
    assert not spam_check(kind="inquiry", text="質問", email="many@example.jp", now=later).held


def test_frequency_counts_by_ip_and_by_user_too():
    rule(kind="frequency", applies_to="all", threshold=2)
    for i in range(2):
        assert not spam_check(kind="inquiry", text="x", email=f"n{i}@example.jp", ip="198.51.100.1", now=NOW).held
    assert spam_check(kind="comment", text="x", email="n9@example.jp", ip="198.51.100.1", now=NOW).held
    for _ in range(2):
        assert not spam_check(kind="review", text="x", user_id=42, now=NOW).held
    assert spam_check(kind="comment", text="x", user_id=42, now=NOW).held


def test_frequency_does_not_count_a_reverse_proxys_local_address():
    rule(kind="frequency", applies_to="all", threshold=1)
    for i in range(3):
        assert not spam_check(kind="inquiry", text="x", email=f"p{i}@example.jp", ip="127.0.0.1", now=NOW).held
        assert not spam_check(kind="inquiry", text="x", email=f"q{i}@example.jp", ip="10.1.2.3", now=NOW).held
    rule(kind="sender", pattern="10.1.2.3")
    assert spam_check(kind="inquiry", text="x", email="r@example.jp", ip="10.1.2.3", now=NOW).held


def test_content_rule_regex_and_link_count():
    rule(kind="content", pattern=r"bit\.ly/\w+")
    rule(kind="content", threshold=2, note="link spam")
    one = spam_check(kind="comment", text="詳しくは bit.ly/abc へ", user_id=1, now=NOW)
    assert one.held and "bit" in one.reasons[0]
    links = "https://a.example/1 http://b.example/2 www.c.example"
    many = spam_check(kind="comment", text=f"見て {links}", user_id=2, now=NOW)
    assert many.held
    assert many.reasons == ["Contains 3 links (more than 2)."]
    assert not spam_check(kind="comment", text="https://a.example/1 と https://b.example/2", user_id=3, now=NOW).held


def test_rules_apply_to_their_kind_only_and_inactive_rules_are_ignored():
    rule(kind="keyword", pattern="セール", applies_to="comment")
    rule(kind="keyword", pattern="激安", is_active=False)
    assert spam_check(kind="comment", text="セール情報", user_id=1, now=NOW).held
    assert not spam_check(kind="review", text="セール情報", user_id=1, now=NOW).held
    assert not spam_check(kind="inquiry", text="激安", email="a@example.jp", now=NOW).held


def test_rule_validation_in_admin():
    with pytest.raises(ValidationError):
        SpamRule(kind="content", pattern="(unclosed").full_clean()
    with pytest.raises(ValidationError):
        SpamRule(kind="frequency").full_clean()
    with pytest.raises(ValidationError):
        SpamRule(kind="keyword", pattern="  ").full_clean()
    SpamRule(kind="content", threshold=3).full_clean()


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        spam_check(kind="post", text="x", now=timezone.now())


def test_spam_rule_admin_lists_rules(admin_client_verified):
    rule(kind="keyword", pattern="副業")
    page = admin_client_verified.get("/admin/core/spamrule/")
    assert page.status_code == 200
    assert "副業" in page.content.decode()
