"""What every report agrees on: the date range (Japan time), which orders count as sales, and who a customer is."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from shop.orders.models import Order

Status = Order.Status

# Paid and still a sale: cancelled, unpaid and fully refunded orders are not; a partial refund counts net.
COUNTED_STATUSES = (Status.PAID, Status.PROCESSING, Status.SHIPPED, Status.DELIVERED, Status.PARTIALLY_REFUNDED)
NET = F("total") - F("refunded_amount")
MAX_RANGE_DAYS = 731


def tokyo() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_today() -> datetime.date:
    return timezone.localdate()


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tokyo())


@dataclass(frozen=True)
class DateRange:
    """From one day to another, both included, in Japan time."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def last_days(cls, days: int, *, today: datetime.date | None = None) -> "DateRange":
        today = today or local_today()
        return cls(today - datetime.timedelta(days=days - 1), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime.datetime:
        return day_start(self.start)

    @property
    def end_before(self) -> datetime.datetime:
        """The first moment after the range."""
        return day_start(self.end + datetime.timedelta(days=1))

    def each_day(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=offset) for offset in range(self.days)]

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start_at, f"{field}__lt": self.end_before})

    def query(self) -> str:
        return f"from={self.start:%Y-%m-%d}&to={self.end:%Y-%m-%d}"


def counted_orders() -> QuerySet[Order]:
    return Order.objects.filter(paid_at__isnull=False, status__in=COUNTED_STATUSES)


def customer_key():
    """Members by account, guests by the e-mail address they ordered with ("user:12", "email:a@example.jp")."""
    return Case(
        When(user_id__isnull=False, then=Concat(Value("user:"), Cast("user_id", CharField()))),
        default=Concat(Value("email:"), "email"),
        output_field=CharField(),
    )


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def average(total: int, count: int) -> int:
    """Whole yen, rounded half up (money is never a float)."""
    return (total * 2 + count) // (count * 2) if count else 0
