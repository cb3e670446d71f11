"""The report pages: Sales, Social reach, Marketing and Top customers, plus the exports.

Each page is the changelist of an unmanaged model (shop.dashboard.models), so it is listed in the admin index and
served through admin_view: signed-in staff with a verified two-step session only. Each reads a date range from
?from=YYYY-MM-DD&to=YYYY-MM-DD (Japan time, both days included; the last 30 days when missing or invalid).
"""

import calendar

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import log_personal_data_access
from shop.core.money import Money

from .. import access, exports
from ..charts import Series, bar_chart
from ..forms import DateRangeForm, period_from_query
from ..models import CustomerReport, MarketingReport, SalesReport, SocialReport
from ..selectors import customers, marketing, sales, social
from ..selectors.common import DateRange, local_today
from ..xlsx import XLSX_CONTENT_TYPE
from .links import change, changelist, counted_orders_url

EXPORT_CAPABILITY = {
    "orders": access.CUSTOMER_DATA,
    "customers": access.CUSTOMER_DATA,
    "products": access.EXPORT_REPORTS,
    "campaigns": access.EXPORT_REPORTS,
}
EXPORT_LABELS = {
    "orders": _("Orders with lines"),
    "products": _("Products"),
    "campaigns": _("Campaign results"),
    "customers": _("Customers"),
}


def yen(amount: int) -> str:
    return Money(amount, "JPY").format()


def percent(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "–"


class ReportAdmin(admin.ModelAdmin):
    capability = access.ANALYTICS
    template = ""
    title = ""

    def has_module_permission(self, request):
        return access.user_can(request.user, access.ANALYTICS)

    def has_view_permission(self, request, obj=None):
        return access.user_can(request.user, self.capability)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.report_view), name=name), *self.extra_urls()]

    def extra_urls(self):
        return []

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = local_today()
        period, errors = period_from_query(request.GET, today=today)
        for error in errors:
            messages.error(request, gettext("The date range was not used: %(error)s") % {"error": error})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.title,
            "period": period,
            "range_form": DateRangeForm(initial={"start": period.start, "end": period.end}),
            "quick_ranges": [
                (gettext("Today"), DateRange(today, today)),
                (gettext("7 days"), DateRange.last_days(7, today=today)),
                (gettext("30 days"), DateRange.last_days(30, today=today)),
                (gettext("90 days"), DateRange.last_days(90, today=today)),
            ],
            "tabs": _tabs(request, current=self.opts.model_name),
            "exports": _exports(request, period),
            **self.report_context(request, period=period, today=today),
        }
        return TemplateResponse(request, self.template, context)

    def report_context(self, request, *, period: DateRange, today) -> dict:
        raise NotImplementedError


def _tabs(request, *, current: str) -> list[dict]:
    tabs = []
    for model, capability in (
        (SalesReport, access.ANALYTICS),
        (SocialReport, access.ANALYTICS),
        (MarketingReport, access.ANALYTICS),
        (CustomerReport, access.CUSTOMER_DATA),
    ):
        if access.user_can(request.user, capability):
            tabs.append(
                {
                    "label": model._meta.verbose_name_plural,
                    "url": reverse(f"admin:dashboard_{model._meta.model_name}_changelist"),
                    "active": model._meta.model_name == current,
                }
            )
    if access.user_can(request.user, access.ANALYTICS):
        tabs.append(
            {"label": gettext("Calendar"), "url": reverse("admin:dashboard_calendarevent_month"), "active": False}
        )
    return tabs


def _exports(request, period: DateRange) -> list[dict]:
    rows = []
    for table, capability in EXPORT_CAPABILITY.items():
        if access.user_can(request.user, capability):
            rows.append(
                {
                    "label": EXPORT_LABELS[table],
                    "csv": f"{reverse('admin:dashboard_export', args=[table, 'csv'])}?{period.query()}",
                    "xlsx": f"{reverse('admin:dashboard_export', args=[table, 'xlsx'])}?{period.query()}",
                    "table": table,
                }
            )
    return rows


@admin.register(SalesReport)
class SalesReportAdmin(ReportAdmin):
    template = "admin/dashboard/sales.html"
    title = _("Sales")

    def extra_urls(self):
        return [
            path(
                "export/<slug:table>/<slug:fmt>/", self.admin_site.admin_view(self.export_view), name="dashboard_export"
            )
        ]

    def report_context(self, request, *, period, today):
        figures = sales.sales_periods(
            periods=[
                (gettext("Today"), DateRange(today, today)),
                (gettext("Last 7 days"), DateRange.last_days(7, today=today)),
                (gettext("Last 30 days"), DateRange.last_days(30, today=today)),
                (gettext("Chosen range"), period),
            ]
        )
        daily = sales.sales_daily(period=period)
        low_count, low_rows = sales.low_stock_variants()
        return {
            "figures": [
                {
                    "figure": figure,
                    "url": counted_orders_url(figure.period),
                    "revenue": yen(figure.revenue),
                    "aov": yen(figure.aov),
                }
                for figure in figures
            ],
            "chart": bar_chart(
                labels=[f"{row.day:%m/%d}" for row in daily],
                series=[Series(gettext("Revenue"), [row.revenue for row in daily])],
                title=gettext("Revenue per day"),
                value_format=yen,
                label_every=max(1, len(daily) // 10),
            ),
            "daily": [
                {"row": row, "revenue": yen(row.revenue), "url": counted_orders_url(DateRange(row.day, row.day))}
                for row in daily
            ],
            "to_ship": sales.orders_to_ship_count(),
            "to_ship_url": changelist(
                "orders.order", status__in=",".join(sales.TO_SHIP_STATUSES), shipped_at__isnull="True"
            ),
            "low_stock_count": low_count,
            "low_stock": [{"variant": variant, "url": change("catalog.variant", variant.pk)} for variant in low_rows],
            "low_stock_url": changelist(
                "catalog.variant", is_active__exact="1", stock__lte=str(settings.SHOP_LOW_STOCK_THRESHOLD)
            ),
            "low_stock_threshold": settings.SHOP_LOW_STOCK_THRESHOLD,
            "best_sellers": [
                {
                    "row": row,
                    "revenue": yen(row.revenue),
                    "url": change("catalog.product", row.product_id) if row.product_id else "",
                }
                for row in sales.best_sellers(period=period)
            ],
        }

    def export_view(self, request, table: str, fmt: str):
        if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
            raise Http404
        if not access.user_can(request.user, EXPORT_CAPABILITY[table]):
            raise PermissionDenied
        period, errors = period_from_query(request.GET, today=local_today())
        if errors:
            messages.error(request, gettext("The date range was not used: %(error)s") % {"error": errors[0]})
        data = exports.TABLES[table](period=period)
        if data.personal_data is not None:
            log_personal_data_access(request, data.personal_data)
        if fmt == "csv":
            body, content_type = exports.csv_bytes(data), "text/csv; charset=utf-8"
        else:
            body, content_type = exports.xlsx_bytes(data), XLSX_CONTENT_TYPE
        response = HttpResponse(body, content_type=content_type)
        filename = f"{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@admin.register(SocialReport)
class SocialReportAdmin(ReportAdmin):
    template = "admin/dashboard/social.html"
    title = _("Social reach")

    def report_context(self, request, *, period, today):
        posts, post_total = social.post_funnel(period=period)
        followers = social.shop_followers_daily(period=period)
        hours = social.active_hours(period=period)
        day_filter = {"day__gte": f"{period.start:%Y-%m-%d}", "day__lte": f"{period.end:%Y-%m-%d}"}
        return {
            "posts": [
                {
                    "row": row,
                    "ctr": percent(row.stats.ctr),
                    "cvr": percent(row.stats.cvr),
                    "url": change("social.post", row.post_id),
                    "stats_url": changelist("shares.postdailystat", post_id=str(row.post_id), **day_filter),
                    "orders_url": changelist(
                        "shares.attribution", status__exact="confirmed", link__post_id=str(row.post_id)
                    ),
                }
                for row in posts
            ],
            "post_total": post_total,
            "post_total_ctr": percent(post_total.ctr),
            "post_total_cvr": percent(post_total.cvr),
            "post_stats_url": changelist("shares.postdailystat", **day_filter),
            "channels": [
                {
                    "row": row,
                    "ctr": percent(row.ctr),
                    "cvr": percent(row.cvr),
                    "shares_url": changelist("shares.sharelink", channel__exact=row.channel),
                    "orders_url": changelist(
                        "shares.attribution", status__exact="confirmed", link__channel__exact=row.channel
                    ),
                }
                for row in social.channel_funnel(period=period)
            ],
            "sharers": [
                {
                    "row": row,
                    "rewards_url": changelist(
                        "share_rewards.sharereward", status__exact="confirmed", sharer=str(row.user_id)
                    ),
                }
                for row in social.top_sharers(period=period)
            ],
            "followers": followers,
            "followers_now": followers[-1].total if followers else 0,
            "followers_new": sum(row.new for row in followers),
            "followers_chart": bar_chart(
                labels=[f"{row.day:%m/%d}" for row in followers],
                series=[Series(gettext("New followers"), [row.new for row in followers])],
                title=gettext("New followers of the shop per day"),
                label_every=max(1, len(followers) // 10),
            ),
            "hours": hours,
            "hours_chart": bar_chart(
                labels=[f"{row.hour}" for row in hours],
                series=[
                    Series(gettext("Orders"), [row.orders for row in hours]),
                    Series(gettext("Likes"), [row.likes for row in hours]),
                    Series(gettext("Comments"), [row.comments for row in hours]),
                ],
                title=gettext("Activity by hour of the day (Japan time)"),
            ),
        }


@admin.register(MarketingReport)
class MarketingReportAdmin(ReportAdmin):
    template = "admin/dashboard/marketing.html"
    title = _("Marketing")

    def report_context(self, request, *, period, today):
        repeat = marketing.repeat_purchase_rate(period=period)
        cohorts = marketing.customer_cohorts(period=period, today=today)
        width = max((len(cohort.revenue) for cohort in cohorts), default=0)
        return {
            "campaigns": [
                {
                    "row": row,
                    "click_rate": percent(row.click_rate),
                    "conversion": percent(row.conversion_rate),
                    "url": change("loyalty.campaign", row.campaign.pk),
                }
                for row in marketing.campaign_rows(period=period)
            ],
            "repeat": repeat,
            "repeat_rate": percent(repeat.rate),
            "repeat_url": counted_orders_url(period),
            "cohort_months": list(range(width)),
            "cohorts": [
                {
                    "cohort": cohort,
                    "values": [yen(value) for value in cohort.cumulative_per_customer]
                    + [""] * (width - len(cohort.revenue)),
                    "url": counted_orders_url(DateRange(cohort.month, _month_end(cohort.month))),
                }
                for cohort in cohorts
            ],
        }


def _month_end(first):
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@admin.register(CustomerReport)
class CustomerReportAdmin(ReportAdmin):
    capability = access.CUSTOMER_DATA
    template = "admin/dashboard/customers.html"
    title = _("Top customers")

    def report_context(self, request, *, period, today):
        rows = customers.top_customers(period=period)
        # One access-log row per customer shown: the page names them and shows what they spent.
        log_personal_data_access(
            request, [(row.user_id, f"dashboard top customers: {row.user_id or 'guest'}") for row in rows]
        )
        return {
            "customers": [
                {
                    "row": row,
                    "revenue": yen(row.revenue),
                    "user_url": change("accounts.user", row.user_id) if row.user_id else "",
                    "orders_url": counted_orders_url(
                        period, **({"user": str(row.user_id)} if row.user_id else {"q": row.email})
                    ),
                }
                for row in rows
            ],
        }
