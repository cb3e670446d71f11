"""`manage.py check_integrations`: one line per service, with what is wrong when something is."""

import io

import pytest
from django.core.management import CommandError, call_command

from shop.dashboard.integrations import FAILED, OK, SKIPPED, integrations_check
from tests.notifications.line_stub import LineStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(settings):
    stub = LineStub().start()
    settings.LINE_API_HOST = stub.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = "test-token"
    settings.LINE_CHANNEL_SECRET = "test-secret"
    yield stub
    stub.stop()


def _by_name(checks):
    return {check.name: check for check in checks}


def test_everything_reachable_in_the_test_setup(stripe_settings, localstripe_server, line):
    checks = _by_name(integrations_check())
    assert [name for name in checks] == [
        "Database", "Redis", "Stripe", "LINE", "E-mail", "Celery worker", "Celery beat",
    ]  # fmt: skip
    assert checks["Database"].status == OK and checks["Database"].detail == "postgresql"
    assert checks["Redis"].status == OK
    assert checks["Stripe"].status == OK and localstripe_server.url in checks["Stripe"].detail
    assert checks["LINE"].status == OK and "Tsunagu Shop (@tsunagu)" in checks["LINE"].detail
    assert checks["E-mail"].status == OK
    # The test settings run tasks inline: no worker is needed and beat's jobs would be run by cron.
    assert checks["Celery worker"].status == OK and checks["Celery beat"].status == SKIPPED
    # The LINE check read the bot's profile and sent nothing.
    assert [request.path for request in line.requests] == []


def test_unreachable_services_fail_with_the_reason_and_the_command_exits_non_zero(settings, stripe_settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.LINE_CHANNEL_ACCESS_TOKEN = "token"
    settings.LINE_CHANNEL_SECRET = "secret"
    settings.LINE_API_HOST = "http://127.0.0.1:9"
    checks = _by_name(integrations_check())
    assert checks["Stripe"].status == FAILED and checks["Stripe"].detail
    assert checks["LINE"].status == FAILED and checks["LINE"].detail

    out = io.StringIO()
    with pytest.raises(CommandError, match="Stripe, LINE"):
        call_command("check_integrations", stdout=out)
    table = out.getvalue().splitlines()
    assert table[0].split() == ["service", "status", "detail"]
    assert any(line.startswith("Stripe") and FAILED in line for line in table)


def test_services_not_configured_are_said_so(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    checks = _by_name(integrations_check())
    assert checks["Stripe"].status == SKIPPED and checks["LINE"].status == SKIPPED
