"""A paginator that reads a page and the total in one query.

Django's Paginator counts first (SELECT COUNT(*)) to validate the page number, then reads the page: two queries
and two ORM compilations on every listing view. `CountedPaginator.get_page` reads the page with the total as an
extra column (`with_total`), so the total comes with the rows. An empty first page means an empty list (no count);
only a page past the end costs a count and the read of the last page, as Paginator.get_page gives.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, QuerySet, Subquery, Value

TOTAL = "_paginator_total"


def with_total(queryset: QuerySet) -> QuerySet:
    """The queryset with the number of all its rows as the column TOTAL of each row.

    An uncorrelated subquery, which PostgreSQL runs once (an InitPlan, here an index-only count) while the page is
    read by its index up to its last row. COUNT(*) OVER () would make it read and sort every matching row to give
    one page: 3.7 ms against 0.9 ms for a page of 2,000 products, and it grows with the catalogue."""
    count = queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(n=Count("*")).values("n")
    return queryset.annotate(**{TOTAL: Subquery(count)})


class CountedPaginator(Paginator):
    """Paginator.get_page over a QuerySet in one query (orphans not supported).

    read_page(offset, limit), when given, reads a page instead (each row with the total as its TOTAL attribute),
    e.g. from a statement compiled once (shop.core.compiled); object_list may then be a function that builds the
    queryset, called only for a page past the end."""

    def __init__(self, object_list, per_page, allow_empty_first_page=True, *, read_page=None):
        super().__init__(object_list, per_page, orphans=0, allow_empty_first_page=allow_empty_first_page)
        self._read_page = read_page or self._read_queryset_page

    def _read_queryset_page(self, offset: int, limit: int) -> list:
        return list(with_total(self._queryset())[offset : offset + limit])

    def _queryset(self):
        if callable(self.object_list):
            self.object_list = self.object_list()
        return self.object_list

    def get_page(self, number):
        try:
            number = self._page_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:  # below 1: Paginator.get_page gives the last page
            self._queryset()
            return super().get_page(number)
        bottom = (number - 1) * self.per_page
        rows = self._read_page(bottom, self.per_page)
        if rows:
            self.__dict__["count"] = getattr(rows[0], TOTAL)
            return self._get_page(rows, number, self)
        if number == 1 and self.allow_empty_first_page:
            # The first page is empty: there is nothing at all (a search that finds nothing), no count needed.
            self.__dict__["count"] = 0
            return self._get_page([], 1, self)
        # Past the end, or nothing at all: count, then the last page (Paginator.get_page's answer).
        self._queryset()
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
