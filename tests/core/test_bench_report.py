"""bench/report.py's p99 target: each page's p99/p50 judged, and beside it the ceiling's own in the same turns."""

import json

import pytest

from bench import report

CPU = {"wall": 10.0, "cpus": 2, "workers": 8.0, "db": 2.0, "wrk": 0.5, "other": 0.1, "idle_before": 0.9}


def write_result(wrk_dir, name: str, p50_ms: float, p99_ms: float) -> None:
    summary = {
        "requests": 5000,
        "duration_us": 10_000_000,
        "bytes": 1,
        "p50_us": int(p50_ms * 1000),
        "p90_us": 0,
        "p95_us": 0,
        "p99_us": int(p99_ms * 1000),
        "max_us": int(p99_ms * 2000),
        "mean_us": p50_ms * 1000,
        "connect": 0,
        "read": 0,
        "write": 0,
        "status": 0,
        "timeout": 0,
    }
    (wrk_dir / f"{name}.txt").write_text(f"Requests/sec: 500.00\nBENCH_JSON {json.dumps(summary)}\n")
    (wrk_dir / f"{name}.json").write_text(json.dumps({"cpu": CPU, "command": "wrk", "http_status": 200}))


@pytest.fixture
def size(tmp_path, monkeypatch):
    """A run of two pages: home at 2.2x with the ceiling at 1.9x in its turns, the list at 1.5x (ceiling 2.1x)."""
    monkeypatch.setattr(report, "OUT", tmp_path)
    out = tmp_path / "size-2000"
    (out / "wrk").mkdir(parents=True)
    (out / "pages.tsv").write_text("ceiling\t/_bench/ceiling/\t\t\nhome\t/\t\t\nlist.member\t/products/\t\tmember\n")
    write_result(out / "wrk", "ceiling", 5, 8)
    write_result(out / "wrk", "home", 10, 22)
    write_result(out / "wrk", "home.ceiling", 5, 9.5)
    write_result(out / "wrk", "list.member", 10, 15)
    write_result(out / "wrk", "list.member.ceiling", 5, 10.5)
    return report.Size("2000")


def test_a_page_over_2x_fails_the_target_and_shows_the_ceiling_in_its_turns(size):
    line = next(x for x in size.targets() if x.startswith("| p99 at most 2x p50"))

    assert "NOT met: Home (anonymous, 2.2x; the ceiling in the same turns 1.90x)" in line
    assert "Product list" not in line


def test_the_machine_line_counts_the_ceilings_over_2x_in_the_pages_turns(size):
    line = next(x for x in size.targets() if "the machine" in x)

    assert "1.90 to 2.10; over 2x in 1 of 2" in line


def test_each_page_row_has_the_ceilings_spread_of_its_turns(size):
    rows = {row.split(" | ")[0]: row.split(" | ") for row in size.page_rows() if row.startswith("| ")}

    assert rows["| Home"][8:10] == ["2.20", "1.90"]
    assert rows["| Product list"][8:10] == ["1.50", "2.10"]
    assert rows["| Ceiling (24 rows, one query, tiny template)"][8:10] == ["1.60", ""]


def test_the_one_at_a_time_table_shows_each_pages_spread_and_its_parts(size):
    part = {"p50": 1.0, "p99": 1.5}
    spread = {
        "cpu_loop": {"requests": 1000, "total": {"p50": 0.9, "p99": 1.2}, "db": {"p50": 0, "p99": 0}, "python": part},
        "home": {"requests": 1000, "total": {"p50": 2.5, "p99": 4.5}, "db": part, "python": part},
    }
    (size.out / "service_spread.json").write_text(json.dumps(spread))

    rows = size.spread_rows()

    assert rows[0].startswith("| 2,000 | Fixed pure-Python loop (no I/O) |  | 0.90 ms | 1.20 ms | 1.33 |")
    assert rows[1] == "| 2,000 | Home | anonymous | 2.50 ms | 4.50 ms | 1.80 | 1.00 / 1.50 ms | 1.00 / 1.50 ms |"
