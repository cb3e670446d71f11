"""CPU each benchmarked page costs a request, in this process and in its PostgreSQL backend, against the ceiling's.

    python bench/cpu_per_request.py bench/out/size-10000/pages.tsv [ROUNDS] [BLOCK]   # with bench/env.sh's environment

Under wrk the shop's workers, PostgreSQL and wrk share the machine's CPUs, so a page's requests/s against the
ceiling's is close to the ratio of what a request of each costs them all. Here each page of pages.tsv (the format of
bench/service_spread.py; the first page is the one the others are compared with, the ceiling in bench/run.sh's) is
asked one request at a time through shop.wsgi in blocks of BLOCK (400) requests, the pages in turn, ROUNDS (5) times,
after each has asked all of its paths once. For each block it takes the CPU time of this process (Python) and of the
PostgreSQL backend serving it (user and system time from /proc/<pid>/stat, so PostgreSQL must run on this machine),
and reports the median block's per request. Taking the pages in turn keeps the machine's changes of speed out of the
comparison, which a run of one page after another would not.

Writes <out>/cpu_per_request.json ({name: {"python", "postgresql", "total" in ms, "of_first": total / first page's
total}}); <out> is BENCH_RUN_OUT (default bench/out).
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_RUN_OUT", BASE_DIR / "bench" / "out"))
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, from /proc (in clock ticks there)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def summary(blocks: dict[str, list[tuple[float, float]]], requests_per_block: int) -> dict:
    """blocks: per page, (Python, PostgreSQL) CPU seconds of each block → medians per request in ms, and each page's
    total as a share of the first page's."""
    result = {}
    for name, measured in blocks.items():
        python = statistics.median(python for python, _pg in measured) / requests_per_block * 1000
        postgresql = statistics.median(pg for _python, pg in measured) / requests_per_block * 1000
        total = statistics.median(python + pg for python, pg in measured) / requests_per_block * 1000
        result[name] = {"python": python, "postgresql": postgresql, "total": total}
    first = next(iter(result.values()))["total"]
    for row in result.values():
        row["of_first"] = row["total"] / first if first else None
    return result


def measure(pages, rows: list[tuple[str, list[str], str]], *, rounds: int, block: int) -> dict:
    """rows: (name, paths, cookie). Blocks of `block` requests of each page in turn, `rounds` times."""
    from django.db import connection

    for _name, paths, cookie in rows:
        for path in paths:
            pages.get(path, cookie)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    blocks = {name: [] for name, _paths, _cookie in rows}
    for number in range(rounds):
        for name, paths, cookie in rows:
            python, postgresql = time.process_time(), process_cpu_seconds(backend)
            for index in range(block):
                pages.get_answered(paths[(number * block + index) % len(paths)], cookie)
            blocks[name].append((time.process_time() - python, process_cpu_seconds(backend) - postgresql))
    return summary(blocks, block)


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from bench.service_spread import Pages, page_rows

    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    block = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    result = measure(Pages(), page_rows(Path(sys.argv[1])), rounds=rounds, block=block)
    print(
        f"{'page':<20} {'Python':>8} {'PostgreSQL':>11} {'total':>8}  ms of CPU a request (median of {rounds} blocks)"
    )
    for name, row in result.items():
        print(
            f"{name:<20} {row['python']:8.2f} {row['postgresql']:11.2f} {row['total']:8.2f}  "
            f"{row['of_first']:.2f}x the first's (when CPU is what limits, {100 / row['of_first']:.0f}% of its requests/s)"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cpu_per_request.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
