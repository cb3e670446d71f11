"""How each benchmarked page's time spreads when it is the only request: no load, no queue, one process.

    python bench/service_spread.py bench/out/size-2000/pages.tsv   # run by bench/run.sh, with its environment

Under wrk a request's latency includes waiting behind the others and for CPUs shared with wrk and PostgreSQL, so a
page's p99/p50 mixes what the page does with what the rig and the machine do. Here each page of pages.tsv (name,
path, a file of paths to rotate through or empty, who asks: "" or "member") is asked REQUESTS times (1,000) one
after another through shop.wsgi, what gunicorn's workers run, after a warm-up of WARMUP (100) requests or every
path once, whichever is more (as wrk's warm-up, so a member's first view of a product, which makes their share
links, is not measured). Each request's wall time is split into the time spent in PostgreSQL statements (an
execute_wrapper around the driver call, so the round trips are in it) and the rest, Python. The first row is a fixed
pure-Python loop (no allocation, no I/O) timed the same way: the machine's own timing noise.

Writes <out>/service_spread.json ({name: {"requests", "total", "db", "python"}, each part {"p50", "p99"} in ms});
bench/report.py shows it. <out> is BENCH_RUN_OUT (default bench/out).
"""

import io
import json
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_RUN_OUT", BASE_DIR / "bench" / "out"))
REQUESTS = int(os.environ.get("SPREAD_REQUESTS", "1000"))
WARMUP = 100
LOOP = "cpu_loop"  # the fixed workload's row
BROWSER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50": ordered[len(ordered) // 2], "p99": ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)]}


def summary(timings: list[tuple[float, float]]) -> dict:
    """timings: (total, db) seconds per request → p50 and p99 in ms of the total, the db part and the rest."""
    parts = {
        "total": [total for total, _db in timings],
        "db": [db for _total, db in timings],
        "python": [total - db for total, db in timings],
    }
    return {"requests": len(timings)} | {
        part: {key: value * 1000 for key, value in percentiles(values).items()} for part, values in parts.items()
    }


def loop_timings(count: int) -> list[tuple[float, float]]:
    """A fixed pure-Python workload of about a millisecond, timed `count` times."""

    def work() -> int:
        total = 0
        for i in range(30_000):
            total += i * i % 7
        return total

    timings = []
    for _ in range(WARMUP + count):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started, 0.0))
    return timings[WARMUP:]


class Pages:
    """Requests through the WSGI application, with the time spent in SQL statements noted."""

    def __init__(self):
        from django.db import connection

        from shop.wsgi import application

        self.application, self.connection, self.db = application, connection, 0.0

    def _timed_execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.db += time.perf_counter() - started

    def get(self, path: str, cookie: str) -> str:
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_USER_AGENT": BROWSER_UA,
            "HTTP_COOKIE": cookie,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        statuses = []
        body = self.application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            b"".join(body)
        finally:
            body.close()
        return statuses[0]

    def timings(self, paths: list[str], cookie: str, count: int) -> list[tuple[float, float]]:
        """`count` requests' (total, SQL) seconds, after the warm-up."""
        warmup = max(WARMUP, len(paths))
        timings = []
        with self.connection.execute_wrapper(self._timed_execute):
            for number in range(warmup + count):
                self.db, started = 0.0, time.perf_counter()
                self.get_answered(paths[number % len(paths)], cookie)
                timings.append((time.perf_counter() - started, self.db))
        return timings[warmup:]

    def get_answered(self, path: str, cookie: str) -> None:
        """get(), stopping the run when the page does not answer 200 or 302 (a benchmark of an error page)."""
        status = self.get(path, cookie)
        if not status.startswith(("200", "302")):
            raise SystemExit(f"{path} answered {status}")


def page_rows(pages_tsv: Path) -> list[tuple[str, list[str], str]]:
    """(name, paths, Cookie header) of each line of pages.tsv; a member's pages get a new signed-in session."""
    from django.conf import settings

    from bench.clients import session_create
    from bench.load_catalog import MEMBER_EMAIL

    cookies = {"": "", "member": f"{settings.SESSION_COOKIE_NAME}={session_create(MEMBER_EMAIL)}"}
    rows = []
    for line in pages_tsv.read_text().splitlines():
        name, path, paths_file, who = (line.split("\t") + ["", ""])[:4]
        rows.append((name, Path(paths_file).read_text().split() if paths_file else [path], cookies[who]))
    return rows


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()

    pages, results = Pages(), {LOOP: summary(loop_timings(REQUESTS))}
    for name, paths, cookie in page_rows(Path(sys.argv[1])):
        results[name] = summary(pages.timings(paths, cookie, REQUESTS))
        total = results[name]["total"]
        print(f"{name:<18} one at a time: p50 {total['p50']:.2f} ms, p99 {total['p99']:.2f} ms")
    (OUT / "service_spread.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
