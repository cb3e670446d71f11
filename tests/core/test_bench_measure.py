"""bench/measure.py's sum of several short wrk runs: counts add up, percentiles are those of all requests together."""

import json
import random

import pytest

from bench import measure


def wrk_percentile(latencies: list[int], percent: float) -> int:
    """What wrk's stats_percentile answers: the value at rank round(p/100 * n + 0.5), 0 past the last one."""
    ordered = sorted(latencies)
    rank = max(int(percent / 100 * len(ordered) + 1), 1)  # C's round() of x + 0.5, x >= 0
    return ordered[rank - 1] if rank <= len(ordered) else 0


def table_points() -> list[float]:
    """The percentiles bench/wrk/summary.lua prints (in hundredths, as the Lua loop steps)."""
    points, hundredths = [], 50
    while hundredths <= 10000:
        points.append(hundredths / 100)
        hundredths += 50 if hundredths < 9500 else 5 if hundredths < 9990 else 1
    return points


def lua_point(latencies: list[int], percent: float) -> int:
    """A point of summary.lua's table: wrk's percentile, the maximum at 100%."""
    return max(latencies) if percent == 100 else wrk_percentile(latencies, percent)


def wrk_output(latencies: list[int], duration_us: int, status_errors: int = 0) -> str:
    """A wrk run's output as bench/wrk/summary.lua ends it."""
    summary = {
        "requests": len(latencies),
        "duration_us": duration_us,
        "bytes": 1000 * len(latencies),
        "p50_us": wrk_percentile(latencies, 50),
        "p90_us": wrk_percentile(latencies, 90),
        "p95_us": wrk_percentile(latencies, 95),
        "p99_us": wrk_percentile(latencies, 99),
        "max_us": max(latencies),
        "mean_us": sum(latencies) / len(latencies),
        "connect": 0,
        "read": 0,
        "write": 0,
        "status": status_errors,
        "timeout": 0,
        "percentiles": [[point, lua_point(latencies, point)] for point in table_points()],
    }
    rate = len(latencies) / (duration_us / 1e6)
    return f"Running 2s test\nRequests/sec: {rate:.2f}\nBENCH_JSON {json.dumps(summary)}\n"


def merged_summary(outputs: list[str]) -> dict:
    text = measure.merge_outputs(outputs)
    return json.loads(measure.SUMMARY.search(text).group(1))


def test_runs_on_a_fast_and_a_slow_machine_give_the_percentiles_of_all_their_requests():
    draw = random.Random(7)
    fast = [draw.randint(4_000, 9_000) for _ in range(1_600)]
    slow = [draw.randint(8_000, 30_000) for _ in range(700)] + [draw.randint(60_000, 90_000) for _ in range(12)]
    merged = merged_summary([wrk_output(fast, 2_000_000), wrk_output(slow, 2_000_000, status_errors=3)])
    everything = fast + slow
    assert merged["requests"] == len(everything)
    assert merged["duration_us"] == 4_000_000
    assert merged["status"] == 3
    assert merged["max_us"] == max(everything)
    assert merged["mean_us"] == pytest.approx(sum(everything) / len(everything))
    # The tables hold the latency every 0.5% below 95% and every 0.05% up to 99.9%: the merged percentile is that of
    # all requests give or take that step, and not either run's nor their average.
    for percent, step in ((50, 0.5), (90, 0.5), (95, 0.5), (99, 0.05)):
        low, high = wrk_percentile(everything, percent - step), wrk_percentile(everything, percent + step)
        assert low <= merged[f"p{percent}_us"] <= high, percent
    assert merged["p50_us"] not in (wrk_percentile(fast, 50), wrk_percentile(slow, 50))
    assert merged["p99_us"] > wrk_percentile(fast, 99)


def test_the_merged_summary_comes_first_and_the_runs_follow_without_theirs():
    outputs = [wrk_output([5_000, 6_000, 7_000], 1_000_000), wrk_output([9_000], 1_000_000)]
    text = measure.merge_outputs(outputs)
    assert text.count("BENCH_JSON") == 1
    assert text.count("RUN_JSON") == 2
    assert text.splitlines()[1] == "Requests/sec: 2.00"
    assert "percentiles" not in text.split("--- run 1", 1)[1]


def test_a_failed_run_leaves_no_summary_for_report_py_to_take():
    text = measure.merge_outputs([wrk_output([5_000], 1_000_000), "unable to connect to 127.0.0.1:8765"])
    assert measure.SUMMARY.search(text) is None
    assert "unable to connect" in text


@pytest.mark.parametrize(("duration", "expected"), [("10s", 10.0), ("1m", 60.0), ("500ms", 0.5), ("2.5s", 2.5)])
def test_wrk_durations_in_seconds(duration, expected):
    assert measure.seconds(duration) == expected
