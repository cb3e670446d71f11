"""A paginator that reads a page and the total in one query.

Django's Paginator counts first (SELECT COUNT(*)) to validate the page number, then reads the page: two queries
and two ORM compilations on every listing view. `CountedPaginator.get_page` reads the page with COUNT(*) OVER ()
as an extra column, so the total comes with the rows. Only a page past the end (or an empty list) costs a count
and, for a page past the end, the read of the last page, as Paginator.get_page gives.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window

TOTAL = "_paginator_total"


class CountedPaginator(Paginator):
    """Paginator.get_page over a QuerySet in one query (orphans not supported)."""

    def __init__(self, object_list, per_page, allow_empty_first_page=True):
        super().__init__(object_list, per_page, orphans=0, allow_empty_first_page=allow_empty_first_page)

    def get_page(self, number):
        try:
            number = self._page_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:  # below 1: Paginator.get_page gives the last page
            return super().get_page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(**{TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if rows:
            self.__dict__["count"] = getattr(rows[0], TOTAL)
            return self._get_page(rows, number, self)
        # Past the end, or nothing at all: count, then the last page (Paginator.get_page's answer).
        return super().get_page(number)

    def _page_number(self, number) -> int:
        """validate_number without the count: the upper bound is checked by reading the page."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number
