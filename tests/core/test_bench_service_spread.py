"""bench/service_spread.py: each request's time through shop.wsgi, split into PostgreSQL and Python."""

import pytest

from bench import service_spread


def test_summary_gives_percentiles_of_the_total_and_of_each_part_in_ms():
    timings = [(0.002 + n * 0.00001, 0.001) for n in range(100)]

    result = service_spread.summary(timings)

    assert result["requests"] == 100
    assert result["total"] == pytest.approx({"p50": 2.5, "p99": 2.99})
    assert result["db"] == pytest.approx({"p50": 1.0, "p99": 1.0})
    assert result["python"] == pytest.approx({"p50": 1.5, "p99": 1.99})


@pytest.mark.django_db
def test_a_page_is_timed_through_the_wsgi_application_with_its_sql_time(monkeypatch, connection_kept):
    monkeypatch.setattr(service_spread, "WARMUP", 2)
    pages = service_spread.Pages()

    timings = pages.timings(["/products/"], cookie="", count=5)

    assert len(timings) == 5
    assert all(0 < db < total for total, db in timings)


@pytest.mark.django_db
def test_a_page_that_does_not_answer_200_or_302_stops_the_run(monkeypatch, connection_kept):
    monkeypatch.setattr(service_spread, "WARMUP", 0)

    with pytest.raises(SystemExit, match="/no-such-page/ answered 404"):
        service_spread.Pages().timings(["/no-such-page/"], cookie="", count=1)


@pytest.mark.django_db
def test_the_warm_up_asks_every_path_once_before_the_timed_requests(monkeypatch, connection_kept):
    monkeypatch.setattr(service_spread, "WARMUP", 1)
    asked = []

    class Recording(service_spread.Pages):
        def get(self, path, cookie):
            asked.append(path)
            return super().get(path, cookie)

    timings = Recording().timings(["/products/", "/search/?q=x", "/"], cookie="", count=2)

    assert asked == ["/products/", "/search/?q=x", "/", "/products/", "/search/?q=x"]
    assert len(timings) == 2
