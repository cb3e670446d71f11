"""Run wrk against each page and note the CPU time every party spent meanwhile (run by bench/run.sh).

    python bench/measure.py bench/out/size-2000/pages.tsv http://127.0.0.1:8765 <gunicorn master pid>

pages.tsv has one page a line, tab-separated: name, path, a file of paths to rotate through (or empty), and who
asks: empty for an anonymous visitor, or a key of BENCH_RUN_OUT/cookies.json (the signed-in member's Cookie
header, made by bench/clients.py).

For each page: the HTTP status of one request, a wait of up to QUIET_WAIT seconds (5) for the machine to be idle,
a warm-up, then the measured wrk run. Beside wrk's own output (<out>/wrk/<page>.txt) it writes
<out>/wrk/<page>.json with the CPU seconds used during the run by the gunicorn workers, the PostgreSQL backends
serving the benchmark database, wrk itself, and everything else on the machine. On a machine shared with other
work req/s drops, but CPU time per request barely moves, so both are reported. <out> is BENCH_RUN_OUT (one folder
per catalogue size); bench/bench_cart.py and bench/bench_webhook.py measure through `measure()` too.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_RUN_OUT", BASE_DIR / "bench" / "out"))
TICK = os.sysconf("SC_CLK_TCK")
CEILING_PATH = "/_bench/ceiling/"
PAIRED_CEILING = ".ceiling"  # <page>.ceiling: the ceiling measured right after <page>


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


def wait_for_quiet(limit: float) -> float:
    """Wait up to `limit` seconds for a second in which the CPUs are mostly idle; returns the busy share seen last."""
    deadline = time.monotonic() + limit
    while True:
        busy, started = machine_busy(), time.monotonic()
        time.sleep(1)
        share = (machine_busy() - busy) / ((time.monotonic() - started) * (os.cpu_count() or 1))
        if share < 0.15 or time.monotonic() >= deadline:
            return share


class CpuTracker:
    """CPU seconds used since it was made by the gunicorn workers and by the PostgreSQL backends of the database.

    Sampled twice a second while wrk runs, so a backend that closes mid-run (CONN_MAX_AGE) still counts up to its
    last sample.
    """

    def __init__(self, master: int, db):
        self.master, self.db = master, db
        self.busy_at_start = machine_busy()
        self.start = self._read()
        self.last = {kind: dict(values) for kind, values in self.start.items()}

    def _read(self) -> dict[str, dict[int, float]]:
        backends = self.db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {
            "workers": {pid: process_cpu(pid) for pid in [self.master, *children(self.master)]},
            "db": {row[0]: process_cpu(row[0]) for row in backends},
        }

    def sample(self) -> None:
        for kind, values in self._read().items():
            self.last[kind].update({pid: seconds for pid, seconds in values.items() if seconds})

    def used(self, kind: str) -> float:
        return sum(seconds - self.start[kind].get(pid, 0.0) for pid, seconds in self.last[kind].items())

    def machine_busy(self) -> float:
        return machine_busy() - self.busy_at_start


def status_of(url: str, headers: dict | None = None) -> int:
    """The status of one GET, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk(args: list[str], env: dict, tracker: CpuTracker | None = None) -> tuple[str, float]:
    """wrk's output and the CPU seconds it used."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    while True:
        pid, _status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if tracker is not None:
            tracker.sample()
        time.sleep(0.5)
    if tracker is not None:
        tracker.sample()
    return process.stdout.read(), usage.ru_utime + usage.ru_stime


def settings() -> dict:
    """The run's wrk settings from the environment (bench/run.sh sets them)."""
    return {
        "threads": os.environ.get("WRK_THREADS", "2"),
        "connections": os.environ.get("WRK_CONNECTIONS", "8"),
        "duration": os.environ.get("DURATION", "10s"),
        "warmup": os.environ.get("WARMUP", "2s"),
        "quiet_wait": float(os.environ.get("QUIET_WAIT", "5")),
    }


def measure(
    name: str,
    url: str,
    *,
    master: int,
    db,
    script: str = "bench/wrk/report.lua",
    env: dict | None = None,
    warmup_env: dict | None = None,
    threads: str | None = None,
    connections: str | None = None,
    before_run=None,
) -> dict:
    """Warm up, then measure one URL with wrk while tracking CPU; writes <out>/wrk/<name>.txt and .json.

    env: variables for wrk's Lua script (BENCH_*), warmup_env: other ones for the warm-up (default: env).
    before_run: called between the warm-up and the measured run (e.g. to note a count to compare with).
    Returns {"command": the measured wrk command line as one string, "summary": wrk's req/s line, "cpu": {...}}.
    """
    conf = settings()
    threads, connections = threads or conf["threads"], connections or conf["connections"]
    common = [f"-t{threads}", f"-c{connections}", "--timeout", "10s", "-s", script]
    env = env or {}
    idle_before = 1 - wait_for_quiet(conf["quiet_wait"])
    wrk(["wrk", *common, f"-d{conf['warmup']}", url], {**os.environ, **(warmup_env or env)})
    if before_run is not None:
        before_run()
    args = ["wrk", *common, f"-d{conf['duration']}", "--latency", url]
    tracker, started = CpuTracker(master, db), time.monotonic()
    output, wrk_cpu = wrk(args, {**os.environ, **env}, tracker)
    wall = time.monotonic() - started
    workers, database = tracker.used("workers"), tracker.used("db")
    cpu = {
        "wall": wall,
        "cpus": os.cpu_count(),
        "workers": workers,
        "db": database,
        "wrk": wrk_cpu,
        "idle_before": idle_before,
        "other": max(tracker.machine_busy() - workers - database - wrk_cpu, 0.0),
    }
    (OUT / "wrk").mkdir(parents=True, exist_ok=True)
    (OUT / "wrk" / f"{name}.txt").write_text(output)
    shown_env = " ".join(f"{key}={shown_path(value)}" for key, value in env.items() if key != "BENCH_COOKIE")
    shown_env += " BENCH_COOKIE=<signed-in session>" if "BENCH_COOKIE" in env else ""
    summary = next((x for x in output.splitlines() if x.startswith("Requests/sec")), "no result").strip()
    print(
        f"{name:<16} {summary}  worker CPU {workers:.1f}s  db {database:.1f}s"
        f"  wrk {wrk_cpu:.1f}s  other {cpu['other']:.1f}s of {wall * (os.cpu_count() or 1):.0f}s"
    )
    return {"command": (shown_env + " " + " ".join(args)).strip(), "summary": summary, "cpu": cpu}


def analyze(db) -> None:
    """Between a page's warm-up and its measured run, what autovacuum does on a live database (this machine's
    PostgreSQL runs without it): the planner's statistics include what the warm-up wrote. A member's first view of
    a product makes their share links for it; with the statistics taken before, PostgreSQL looked the member's links
    up by the sharer alone and read all of them on every product page (0.13 ms a view at 2,500 links)."""
    db.execute("ANALYZE")


def shown_path(value: str) -> str:
    """A path as it should appear in RESULTS.md: relative to the repository."""
    try:
        return str(Path(value).relative_to(BASE_DIR))
    except ValueError:
        return value


def record(name: str, result: dict, **extra) -> None:
    """Write <out>/wrk/<name>.json (what report.py reads beside wrk's output) and note the command."""
    (OUT / "wrk" / f"{name}.json").write_text(json.dumps({"cpu": result["cpu"], "command": result["command"], **extra}))
    with (OUT / "commands.txt").open("a") as handle:
        handle.write(result["command"] + "\n")


def main() -> None:
    pages_file, base_url, master = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cookies_file = OUT / "cookies.json"
    cookies = json.loads(cookies_file.read_text()) if cookies_file.exists() else {}
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        for line in Path(pages_file).read_text().splitlines():
            name, path, paths_file, who = (line.split("\t") + ["", ""])[:4]
            env = {"BENCH_PATHS": paths_file} if paths_file else {}
            headers = {}
            if who:
                env["BENCH_COOKIE"] = headers["Cookie"] = cookies[who]
            status = status_of(base_url + path, headers)
            result = measure(name, base_url + path, master=master, db=db, env=env, before_run=lambda: analyze(db))
            record(name, result, http_status=status)
            if name != "ceiling":
                # The ceiling again, right after the page: this machine's speed moves by half within a run, so each
                # page is compared with the ceiling measured next to it (report.py's "vs ceiling").
                paired = measure(f"{name}{PAIRED_CEILING}", base_url + CEILING_PATH, master=master, db=db)
                record(f"{name}{PAIRED_CEILING}", paired, http_status=200)


if __name__ == "__main__":
    main()
