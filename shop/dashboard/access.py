"""Who may see what on the dashboard.

Aggregates (sales, social, marketing figures) are for every staff role. Anything that names a customer (the top
customers page, order and customer exports) and the incident record are for the shop manager only, and every
customer-level page or export writes the personal-data access log. Marketing may also export products and campaign
results (no personal data). Customer support sees the aggregates and the calendar, nothing customer-level here:
they look up single customers and orders in the order and user admin, where each opening is logged anyway.

The permissions are granted to the staff roles in shop.accounts.roles (the one place roles are defined);
superusers have everything.
"""

ANALYTICS = "analytics"
CUSTOMER_DATA = "customer_data"
EXPORT_REPORTS = "export_reports"
INCIDENTS = "incidents"
CALENDAR_EDIT = "calendar_edit"

CAPABILITIES: dict[str, str] = {
    # capability: permission codename in the dashboard app
    ANALYTICS: "view_analytics",
    CUSTOMER_DATA: "view_customer_data",
    EXPORT_REPORTS: "export_reports",
    INCIDENTS: "change_incident",
    CALENDAR_EDIT: "change_calendarevent",
}


def user_can(user, capability: str) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return user.has_perm(f"dashboard.{CAPABILITIES[capability]}")
