"""Every staff view of a customer's personal data in admin is written to the access log (APPI; README).

`PersonalDataAuditMixin` goes first in a ModelAdmin's bases. Opening an object's change (or view-only) page logs
one row: who looked, whose data, what, and the page. Exports call `log_personal_data_access` themselves, one row
per exported record, so the shop manager can answer "who saw this customer's data" for any customer.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from shop.accounts.models import PersonalDataAccess

WHAT_MAX = PersonalDataAccess._meta.get_field("what").max_length
PATH_MAX = PersonalDataAccess._meta.get_field("path").max_length


def log_personal_data_access(request, entries: Iterable[tuple[int | None, str]]) -> int:
    """Writes one log row per (customer id or None for a guest, what) for the staff member of this request."""
    # Without the query string: a search for a name or e-mail address would put personal data in the log.
    path = request.path[:PATH_MAX]
    rows = [
        PersonalDataAccess(staff_id=request.user.pk, customer_id=customer_id, what=what[:WHAT_MAX], path=path)
        for customer_id, what in entries
    ]
    PersonalDataAccess.objects.bulk_create(rows, batch_size=500)
    return len(rows)


class PersonalDataAuditMixin:
    """For ModelAdmins whose change page shows a customer's personal data."""

    def personal_data_customer_id(self, obj) -> int | None:
        """The customer the object's data belongs to: the user itself, or the object's `user` (None: a guest)."""
        if isinstance(obj, get_user_model()):
            return obj.pk
        return getattr(obj, "user_id", None)

    def personal_data_what(self, obj) -> str:
        # An id, not str(obj): the log outlives a deleted customer's data and must not keep a copy of it.
        return f"{self.opts.verbose_name} #{obj.pk}"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Called only when the page is shown (not after a successful save), so one opening is one row.
        if obj is not None and not add:
            log_personal_data_access(request, [(self.personal_data_customer_id(obj), self.personal_data_what(obj))])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
