"""Run wrk against each page and note the CPU time every party spent meanwhile (run by bench/run.sh).

    python bench/measure.py bench/out/size-2000/pages.tsv http://127.0.0.1:8765 <gunicorn master pid>

pages.tsv has one page a line, tab-separated: name, path, a file of paths to rotate through (or empty), and who
asks: empty for an anonymous visitor, or a key of BENCH_RUN_OUT/cookies.json (the signed-in member's Cookie
header, made by bench/clients.py).

For each page: the HTTP status of one request, a wait of up to QUIET_WAIT seconds (5) for the machine to be idle,
a warm-up, then the measured runs: SLICES (5) short wrk runs of the page in turn with as many of the ceiling page,
DURATION (10s) in all for each, added up as one run of each (`measure_with_ceiling`). Beside wrk's output
(<out>/wrk/<page>.txt, and <page>.ceiling.txt for the ceiling measured in turn with it) it writes
<out>/wrk/<page>.json with the CPU seconds used during the run by the gunicorn workers, the PostgreSQL backends
serving the benchmark database, wrk itself, and everything else on the machine. On a machine shared with other
work req/s drops, but CPU time per request barely moves, so both are reported. <out> is BENCH_RUN_OUT (one folder
per catalogue size); bench/bench_cart.py and bench/bench_webhook.py measure through `measure()` too.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

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
    next_sample = time.monotonic() + 0.5
    while True:
        pid, _status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if tracker is not None and time.monotonic() >= next_sample:
            tracker.sample()
            next_sample += 0.5
        time.sleep(0.02)
    if tracker is not None:
        tracker.sample()
    return process.stdout.read(), usage.ru_utime + usage.ru_stime


def settings() -> dict:
    """The run's wrk settings from the environment (bench/run.sh sets them)."""
    return {
        "threads": os.environ.get("WRK_THREADS", "2"),
        "connections": os.environ.get("WRK_CONNECTIONS", "8"),
        "duration": os.environ.get("DURATION", "10s"),
        "slices": int(os.environ.get("SLICES", "5")),
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
    """Warm up, then measure one URL with wrk while tracking CPU; writes <out>/wrk/<name>.txt.

    env: variables for wrk's Lua script (BENCH_*), warmup_env: other ones for the warm-up (default: env).
    before_run: called between the warm-up and the measured run (e.g. to note a count to compare with).
    Returns {"command": the measured wrk command line as one string, "summary": wrk's req/s line, "cpu": {...}};
    record() writes it down.
    """
    conf = settings()
    common = wrk_options(script, threads or conf["threads"], connections or conf["connections"])
    env = env or {}
    idle_before = warm_up(common, url, env=warmup_env or env)
    if before_run is not None:
        before_run()
    args = ["wrk", *common, f"-d{conf['duration']}", "--latency", url]
    output, cpu = timed_run(args, env, master, db)
    return finish(name, output, {**cpu, "idle_before": idle_before}, command(args, env))


def measure_with_ceiling(name: str, url: str, *, master: int, db, env: dict, before_run=None) -> tuple[dict, dict]:
    """A page and the ceiling page measured in turns: SLICES short runs of each, alternating, each party's runs added
    up as one (`merge_outputs`). Returns the page's result and the ceiling's, as `measure` does.

    The machines this runs on change speed by half within minutes. A page measured for 10 s and the ceiling for the
    next 10 s could fall on either side of such a change (on one machine the same code measured 37% to 52% of the
    ceiling that way); in turns of 2 s both see the same machine.
    """
    conf = settings()
    common = wrk_options("bench/wrk/report.lua", conf["threads"], conf["connections"])
    idle_before = warm_up(common, url, env=env)
    if before_run is not None:
        before_run()
    slice_length = f"{seconds(conf['duration']) / conf['slices']:g}s"
    page_args = ["wrk", *common, f"-d{slice_length}", "--latency", url]
    ceiling_args = ["wrk", *common, f"-d{slice_length}", "--latency", urljoin(url, CEILING_PATH)]
    runs = {"page": [], "ceiling": []}
    for _ in range(conf["slices"]):
        runs["page"].append(timed_run(page_args, env, master, db))
        runs["ceiling"].append(timed_run(ceiling_args, {}, master, db))
    in_turns = f"{conf['slices']} runs in turns with the other's: "
    return tuple(
        finish(
            result_name,
            merge_outputs([output for output, _cpu in runs[party]]),
            {**add_cpu([cpu for _output, cpu in runs[party]]), "idle_before": idle_before},
            in_turns + command(args, party_env),
        )
        for party, result_name, args, party_env in (
            ("page", name, page_args, env),
            ("ceiling", f"{name}{PAIRED_CEILING}", ceiling_args, {}),
        )
    )


def wrk_options(script: str, threads: str, connections: str) -> list[str]:
    return [f"-t{threads}", f"-c{connections}", "--timeout", "10s", "-s", script]


def warm_up(common: list[str], url: str, env: dict) -> float:
    """Wait for the machine to go quiet, then a warm-up run; returns the idle share seen before it."""
    conf = settings()
    idle_before = 1 - wait_for_quiet(conf["quiet_wait"])
    wrk(["wrk", *common, f"-d{conf['warmup']}", url], {**os.environ, **env})
    return idle_before


def timed_run(args: list[str], env: dict, master: int, db) -> tuple[str, dict]:
    """One wrk run and the CPU seconds every party used meanwhile."""
    tracker, started = CpuTracker(master, db), time.monotonic()
    output, wrk_cpu = wrk(args, {**os.environ, **env}, tracker)
    wall = time.monotonic() - started
    workers, database = tracker.used("workers"), tracker.used("db")
    return output, {
        "wall": wall,
        "cpus": os.cpu_count(),
        "workers": workers,
        "db": database,
        "wrk": wrk_cpu,
        "other": max(tracker.machine_busy() - workers - database - wrk_cpu, 0.0),
    }


def add_cpu(cpus: list[dict]) -> dict:
    return {key: (cpus[0][key] if key == "cpus" else sum(cpu[key] for cpu in cpus)) for key in cpus[0]}


def seconds(duration: str) -> float:
    """wrk's duration ("10s", "1m", "500ms"...) in seconds."""
    for suffix, factor in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if duration.endswith(suffix) and duration[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(duration[: -len(suffix)]) * factor
    return float(duration)


def command(args: list[str], env: dict) -> str:
    """A wrk command line as RESULTS.md shows it (no session cookie)."""
    shown_env = " ".join(f"{key}={shown_path(value)}" for key, value in env.items() if key != "BENCH_COOKIE")
    shown_env += " BENCH_COOKIE=<signed-in session>" if "BENCH_COOKIE" in env else ""
    return (shown_env + " " + " ".join(args)).strip()


def finish(name: str, output: str, cpu: dict, shown_command: str) -> dict:
    """Write wrk's output to <out>/wrk/<name>.txt and print a line."""
    (OUT / "wrk").mkdir(parents=True, exist_ok=True)
    (OUT / "wrk" / f"{name}.txt").write_text(output)
    summary = next((x for x in output.splitlines() if x.startswith("Requests/sec")), "no result").strip()
    print(
        f"{name:<16} {summary}  worker CPU {cpu['workers']:.1f}s  db {cpu['db']:.1f}s"
        f"  wrk {cpu['wrk']:.1f}s  other {cpu['other']:.1f}s of {cpu['wall'] * (cpu['cpus'] or 1):.0f}s"
    )
    return {"command": shown_command, "summary": summary, "cpu": cpu}


SUMMARY = re.compile(r"^BENCH_JSON (\{.*\})$", re.M)


def merge_outputs(outputs: list[str]) -> str:
    """Several wrk runs of one URL as one: a "Requests/sec" line and a BENCH_JSON line (bench/wrk/summary.lua)
    whose counts, durations and errors are the runs' sums and whose percentiles are those of all the runs' requests
    together, then each run's own output (its summary line renamed RUN_JSON, without the percentile table).
    If a run has no summary (wrk failed), there is no BENCH_JSON line: report.py then says "no result"."""
    parts = []
    for number, output in enumerate(outputs, 1):
        own = SUMMARY.sub(lambda m: "RUN_JSON " + json.dumps(without_table(m.group(1))), output)
        parts += [f"--- run {number}", own.rstrip("\n")]
    runs = [json.loads(match.group(1)) for output in outputs if (match := SUMMARY.search(output))]
    if len(runs) == len(outputs):
        merged = {key: sum(run[key] for run in runs) for key in ADDED}
        merged["max_us"] = max(run["max_us"] for run in runs)
        merged["mean_us"] = sum(run["mean_us"] * run["requests"] for run in runs) / max(merged["requests"], 1)
        for percent in (50, 90, 95, 99):
            merged[f"p{percent}_us"] = merged_percentile(runs, percent)
        rate = merged["requests"] / (merged["duration_us"] / 1e6) if merged["duration_us"] else 0.0
        parts[:0] = [
            f"{len(runs)} runs taken together",
            f"Requests/sec: {rate:.2f}",
            f"BENCH_JSON {json.dumps(merged)}",
        ]
    return "\n".join(parts) + "\n"


ADDED = ("requests", "duration_us", "bytes", "connect", "read", "write", "status", "timeout")


def without_table(summary: str) -> dict:
    data = json.loads(summary)
    data.pop("percentiles", None)
    return data


def merged_percentile(runs: list[dict], percent: float) -> int:
    """The latency under which `percent` of all the runs' requests fall, from each run's percentile table.

    A run's share of requests at or under a latency x is the highest percentile of its table whose latency is at
    most x (its resolution: 0.01 of a percent near the top); the runs count by their number of requests.
    """
    total = sum(run["requests"] for run in runs)
    if not total:
        return 0

    def at_or_under(latency: int) -> float:
        count = 0.0
        for run in runs:
            shares = [share for share, value in run["percentiles"] if value <= latency]
            count += run["requests"] * (max(shares) / 100 if shares else 0.0)
        return count

    latencies = sorted({value for run in runs for _share, value in run["percentiles"]})
    wanted = total * percent / 100
    return next((latency for latency in latencies if at_or_under(latency) >= wanted - 1e-9), latencies[-1])


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
            if name == "ceiling":
                # The run's first ceiling, alone: what the operations (cart, webhooks) are compared with.
                record(name, measure(name, base_url + path, master=master, db=db), http_status=status)
                continue
            # Each page is compared with the ceiling measured in turns with it (report.py's "vs ceiling").
            page, ceiling = measure_with_ceiling(
                name, base_url + path, master=master, db=db, env=env, before_run=lambda: analyze(db)
            )
            record(name, page, http_status=status)
            record(f"{name}{PAIRED_CEILING}", ceiling, http_status=200)


if __name__ == "__main__":
    main()
