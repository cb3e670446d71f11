"""bench/cpu_per_request.py: CPU a request costs this process and its PostgreSQL backend, pages in turn."""

import os
import time

import pytest

from bench import cpu_per_request
from bench.service_spread import Pages


def test_summary_gives_the_median_block_per_request_and_each_total_against_the_first_page():
    blocks = {
        "ceiling": [(0.010, 0.002), (0.030, 0.001), (0.012, 0.001)],  # per block of 10 requests
        "page": [(0.040, 0.010), (0.020, 0.004), (0.022, 0.006)],
    }

    result = cpu_per_request.summary(blocks, requests_per_block=10)

    assert result["ceiling"] == pytest.approx({"python": 1.2, "postgresql": 0.1, "total": 1.3, "of_first": 1.0})
    assert result["page"] == pytest.approx({"python": 2.2, "postgresql": 0.6, "total": 2.8, "of_first": 2.8 / 1.3})


def test_process_cpu_seconds_counts_what_the_process_spends():
    before = cpu_per_request.process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.1
    while time.process_time() < deadline:
        pass

    assert cpu_per_request.process_cpu_seconds(os.getpid()) - before >= 0.05


@pytest.mark.django_db
def test_pages_are_measured_in_turn_through_the_wsgi_application(connection_kept):
    asked = []

    class Recording(Pages):
        def get(self, path, cookie):
            asked.append(path)
            return super().get(path, cookie)

    rows = [("list", ["/products/"], ""), ("search", ["/search/?q=a", "/search/?q=b"], "")]

    result = cpu_per_request.measure(Recording(), rows, rounds=2, block=2)

    warm_up = ["/products/", "/search/?q=a", "/search/?q=b"]
    blocks = ["/products/", "/products/", "/search/?q=a", "/search/?q=b"] * 2
    assert asked == warm_up + blocks
    assert set(result) == {"list", "search"}
    assert result["list"]["of_first"] == 1.0
    assert all(row["python"] > 0 and row["postgresql"] >= 0 for row in result.values())


@pytest.mark.django_db
def test_a_page_that_does_not_answer_200_or_302_stops_the_run(connection_kept):
    rows = [("missing", ["/no-such-page/"], "")]

    with pytest.raises(SystemExit, match="/no-such-page/ answered 404"):
        cpu_per_request.measure(Pages(), rows, rounds=1, block=1)
