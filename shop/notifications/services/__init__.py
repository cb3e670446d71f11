"""Writes of the notifications app: the outbox (outbox.py), preferences and unsubscribes (preferences.py), LINE links
(line_links.py) and this app's personal data (personal_data.py). Import them from here."""

from .line_links import (
    LINK_CODE_LIFETIME,
    line_link_by_code,
    line_link_code_create,
    line_link_set,
    line_unlink,
    line_webhook_events_handle,
)
from .outbox import (
    CANCEL_ANONYMISED,
    CANCEL_UNLINKED,
    SKIP_NO_CONSENT,
    SKIP_PREFERENCE,
    SKIP_WEEKLY_CAP,
    notification_deliver,
    notification_enqueue,
    notifications_retry,
    notifications_sweep,
)
from .personal_data import personal_data_anonymise, personal_data_export
from .preferences import notification_unsubscribe, preferences_save

__all__ = [
    "CANCEL_ANONYMISED",
    "CANCEL_UNLINKED",
    "LINK_CODE_LIFETIME",
    "SKIP_NO_CONSENT",
    "SKIP_PREFERENCE",
    "SKIP_WEEKLY_CAP",
    "line_link_by_code",
    "line_link_code_create",
    "line_link_set",
    "line_unlink",
    "line_webhook_events_handle",
    "notification_deliver",
    "notification_enqueue",
    "notification_unsubscribe",
    "notifications_retry",
    "notifications_sweep",
    "personal_data_anonymise",
    "personal_data_export",
    "preferences_save",
]
