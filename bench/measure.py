"""Run wrk against each page and note the CPU time every party spent meanwhile (run by bench/run.sh).

    python bench/measure.py bench/out/pages.tsv http://127.0.0.1:8765 <gunicorn master pid>

For each page: the HTTP status of one request, a wait of up to QUIET_WAIT seconds (15) for the machine to be idle,
a warm-up, then the measured wrk run. Beside wrk's own output
(bench/out/wrk/<page>.txt) it writes bench/out/wrk/<page>.json with the CPU seconds used during the run by the
gunicorn workers, the PostgreSQL backends serving shop_bench, wrk itself, and everything else on the machine.
On a machine shared with other work req/s drops, but CPU time per request barely moves, so both are reported.
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
OUT = BASE_DIR / "bench" / "out"
TICK = os.sysconf("SC_CLK_TCK")


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
    """CPU seconds used since it was made by the gunicorn workers and by the PostgreSQL backends serving shop_bench.

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


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk(args: list[str], paths_file: str, tracker: CpuTracker | None = None) -> tuple[str, float]:
    """wrk's output and the CPU seconds it used."""
    env = {**os.environ, "BENCH_PATHS": paths_file}
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


def main() -> None:
    pages_file, base_url, master = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads, connections = os.environ.get("WRK_THREADS", "2"), os.environ.get("WRK_CONNECTIONS", "8")
    duration, warmup = os.environ.get("DURATION", "15s"), os.environ.get("WARMUP", "3s")
    quiet_wait = float(os.environ.get("QUIET_WAIT", "15"))
    (OUT / "wrk").mkdir(parents=True, exist_ok=True)
    commands = []
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        for line in Path(pages_file).read_text().splitlines():
            name, path, *rest = line.split("\t")
            paths_file = rest[0] if rest else ""
            url = base_url + path
            status = status_of(url)
            common = [f"-t{threads}", f"-c{connections}", "--timeout", "10s", "-s", "bench/wrk/report.lua"]
            idle_before = 1 - wait_for_quiet(quiet_wait)
            wrk(["wrk", *common, f"-d{warmup}", url], paths_file)
            args = ["wrk", *common, f"-d{duration}", "--latency", url]
            tracker, started = CpuTracker(master, db), time.monotonic()
            output, wrk_cpu = wrk(args, paths_file, tracker)
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
            (OUT / "wrk" / f"{name}.txt").write_text(output)
            (OUT / "wrk" / f"{name}.json").write_text(json.dumps({"http_status": status, "cpu": cpu}))
            prefix = f"BENCH_PATHS={Path(paths_file).relative_to(BASE_DIR)} " if paths_file else ""
            commands.append(prefix + " ".join(args))
            summary = next((x for x in output.splitlines() if x.startswith("Requests/sec")), "no result")
            print(
                f"{name:<9} HTTP {status}  {summary.strip()}  worker CPU {workers:.1f}s  db {database:.1f}s"
                f"  wrk {wrk_cpu:.1f}s  other {cpu['other']:.1f}s of {wall * (os.cpu_count() or 1):.0f}s"
            )
    with (OUT / "commands.txt").open("a") as handle:
        handle.write("\n".join(commands) + "\n")


if __name__ == "__main__":
    main()
