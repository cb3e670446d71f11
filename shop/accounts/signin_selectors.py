"""Reads for the staff page of unusual sign-in patterns: networks with many failed sign-ins, and networks many
accounts were created or signed in from. Plain aggregates over SignInEvent and User.signup_ip."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from .models import SignInEvent, User
from .signin_services import network_of

# Thresholds for "many": a few wrong passwords are normal, a family shares a home network. Carrier gateways put many
# phones behind one address, so these tables are leads for staff to look at, not automatic blocks.
FAILURES_PER_HOUR = 5
FAILURES_PER_DAY = 20
ACCOUNTS_PER_DAY = 3


@dataclass(frozen=True)
class NetworkRow:
    network: str
    count: int  # failures, or accounts
    accounts: int  # distinct e-mail addresses tried / accounts involved
    last_at: datetime.datetime | None


def networks_failing(*, now: datetime.datetime, window: datetime.timedelta, at_least: int) -> list[NetworkRow]:
    rows = (
        SignInEvent.objects.filter(success=False, created_at__gt=now - window, created_at__lte=now)
        .exclude(network="")
        .values("network")
        .annotate(failures=Count("id"), emails=Count("email", distinct=True), last_at=Max("created_at"))
        .filter(failures__gte=at_least)
        .order_by("-failures", "network")
    )
    return [NetworkRow(row["network"], row["failures"], row["emails"], row["last_at"]) for row in rows[:100]]


def networks_signing_in_many_accounts(
    *, now: datetime.datetime, window: datetime.timedelta, at_least: int
) -> list[NetworkRow]:
    rows = (
        SignInEvent.objects.filter(success=True, created_at__gt=now - window, created_at__lte=now)
        .exclude(network="")
        .values("network")
        .annotate(accounts=Count("user", distinct=True), last_at=Max("created_at"))
        .filter(accounts__gte=at_least)
        .order_by("-accounts", "network")
    )
    return [NetworkRow(row["network"], row["accounts"], row["accounts"], row["last_at"]) for row in rows[:100]]


def networks_creating_many_accounts(
    *, now: datetime.datetime, window: datetime.timedelta, at_least: int
) -> list[NetworkRow]:
    """Grouped in Python: the network is computed from signup_ip, and one window of sign-ups is small."""
    joined = User.objects.filter(
        Q(signup_ip__isnull=False), date_joined__gt=now - window, date_joined__lte=now
    ).values_list("signup_ip", "date_joined")
    counts: dict[str, int] = defaultdict(int)
    last: dict[str, datetime.datetime] = {}
    for ip, date_joined in joined.iterator():
        network = network_of(ip)
        counts[network] += 1
        last[network] = max(last.get(network, date_joined), date_joined)
    rows = [NetworkRow(network, n, n, last[network]) for network, n in counts.items() if n >= at_least]
    return sorted(rows, key=lambda row: (-row.count, row.network))[:100]


def unusual_sign_ins(*, now: datetime.datetime) -> dict[str, list[NetworkRow]]:
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    return {
        "failing_hour": networks_failing(now=now, window=hour, at_least=FAILURES_PER_HOUR),
        "failing_day": networks_failing(now=now, window=day, at_least=FAILURES_PER_DAY),
        "many_sign_ins": networks_signing_in_many_accounts(now=now, window=day, at_least=ACCOUNTS_PER_DAY),
        "many_signups": networks_creating_many_accounts(now=now, window=day, at_least=ACCOUNTS_PER_DAY),
    }


def busiest_networks(*, now: datetime.datetime, limit: int = 15) -> list[str]:
    """The networks with the most sign-in attempts in the last 7 days (the admin's network filter)."""
    return list(
        SignInEvent.objects.filter(created_at__gt=now - datetime.timedelta(days=7))
        .exclude(network="")
        .values("network")
        .annotate(n=Count("id"))
        .order_by("-n", "network")
        .values_list("network", flat=True)[:limit]
    )
