"""Write bench/RESULTS.md from what bench/run.sh left in bench/out/ (run by run.sh; needs its environment)."""

import json
import os
import platform
import re
import subprocess
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "bench" / "out"
RESULTS = BASE_DIR / "bench" / "RESULTS.md"
LABELS = {
    "ceiling": "Ceiling (24 rows, one query, tiny template)",
    "home": "Home",
    "list": "Product list",
    "list_p50": "Product list, page 50",
    "search": "Search",
    "category": "Category (top level)",
    "product": "Product page (500 products in turn)",
}
# The pages the project's targets name (bench/README.md), with the least share of the ceiling's req/s they need.
RATIO_TARGETS = {"list": 0.5, "product": 0.5}


def run(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"


def machine() -> list[tuple[str, str]]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem_kib = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
    redis_info = run("redis-cli", "-u", os.environ["REDIS_URL"], "INFO", "server")
    redis_version = re.search(r"redis_version:(\S+)", redis_info)
    os_name = re.search(r'^PRETTY_NAME="(.+)"', Path("/etc/os-release").read_text(), re.M)
    wrk_version = run("wrk", "-v").splitlines()
    return [
        ("CPU", f"{model.group(1) if model else platform.processor()}, nproc {run('nproc')}"),
        ("Memory", f"{mem_kib / 1024 / 1024:.1f} GiB"),
        ("OS", f"{os_name.group(1) if os_name else platform.system()}, kernel {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django / gunicorn / psycopg", f"{version('django')} / {version('gunicorn')} / {version('psycopg')}"),
        ("PostgreSQL", run("psql", os.environ["DATABASE_URL"], "-Atc", "SHOW server_version")),
        ("Redis", redis_version.group(1) if redis_version else "unknown"),
        ("wrk", wrk_version[0].split(" Copyright")[0] if wrk_version else "unknown"),
        ("Load average when the run began", Path(OUT / "loadavg-at-start").read_text().split(" ", 3)[:3]),
    ]


def read_result(name: str) -> dict | None:
    """wrk's JSON summary (bench/wrk/report.lua) plus what bench/measure.py noted."""
    text_file, json_file = OUT / "wrk" / f"{name}.txt", OUT / "wrk" / f"{name}.json"
    if not text_file.exists() or not json_file.exists():
        return None
    match = re.search(r"^BENCH_JSON (\{.*\})$", text_file.read_text(), re.M)
    if match is None:
        return None
    data = {**json.loads(match.group(1)), **json.loads(json_file.read_text())}
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["socket_errors"] = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return data


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f} ms"


def errors_cell(data: dict) -> str:
    parts = [f"{data['status']} non-2xx/3xx"] if data["status"] else []
    parts += [f"{data[kind]} {kind}" for kind in ("connect", "read", "write", "timeout") if data[kind]]
    return ", ".join(parts) or "0"


def per_request_ms(data: dict, party: str) -> float:
    return data["cpu"][party] * 1000 / max(data["requests"], 1)


def main() -> None:
    pages = [line.split("\t") for line in (OUT / "pages.tsv").read_text().splitlines() if line]
    queries = json.loads((OUT / "queries.json").read_text()) if (OUT / "queries.json").exists() else {}
    results = {name: read_result(name) for name, *_ in pages}
    measured = {name: data for name, data in results.items() if data}
    ceiling = measured.get("ceiling")
    commit = run("git", "-C", str(BASE_DIR), "rev-parse", "--short=12", "HEAD")
    dirty = run("git", "-C", str(BASE_DIR), "status", "--porcelain", "--untracked-files=no")
    env = os.environ

    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run.sh` (`make bench`); what it measures and the targets are in `bench/README.md`.",
        "",
        f"- Date: {(OUT / 'started-at').read_text().strip()} (start of the run)",
        f"- Commit: {commit}" + (" (the working tree had uncommitted changes)" if dirty else ""),
        f"- Catalogue: {env.get('PRODUCTS')} products in 20 categories, 3 variants and 1-2 images each"
        " (`bench/load_catalog.py`)",
        f"- Load: wrk {env.get('WRK_THREADS')} threads, {env.get('WRK_CONNECTIONS')} connections,"
        f" {env.get('DURATION')} per page after a {env.get('WARMUP')} warm-up;"
        " gunicorn with 2 sync workers; anonymous visitor",
        "",
        "## Machine",
        "",
        *(f"- {key}: {' '.join(value) if isinstance(value, list) else value}" for key, value in machine()),
        "",
        "## Commands",
        "",
        "```",
        f"PRODUCTS={env.get('PRODUCTS')} bash bench/run.sh   # make bench",
        *(OUT / "commands.txt").read_text().splitlines(),
        "```",
        "",
        "## Throughput and latency",
        "",
        "| Page | Path | HTTP | req/s | vs ceiling | p50 | p99 | p99/p50 | Errors | SQL queries |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, path, *_ in pages:
        data, counted = results[name], queries.get(name, {})
        shown_path = unquote(path) + (" …" if name == "product" else "")
        low, high = counted.get("queries_min", "?"), counted.get("queries_max", "?")
        query_cell = f"{low}" if low == high else f"{low}-{high}"
        if data is None:
            lines.append(f"| {LABELS.get(name, name)} | `{shown_path}` | ? | no result | | | | | | {query_cell} |")
            continue
        ratio = f"{data['rps'] / ceiling['rps']:.0%}" if ceiling else "?"
        lines.append(
            f"| {LABELS.get(name, name)} | `{shown_path}` | {data['http_status']} | {data['rps']:.1f} | {ratio}"
            f" | {ms(data['p50_us'])} | {ms(data['p99_us'])} | {data['p99_us'] / max(data['p50_us'], 1):.2f}"
            f" | {errors_cell(data)} | {query_cell} |"
        )

    lines += [
        "",
        "## CPU per request",
        "",
        "CPU seconds each party used during the measured run, divided by the requests served. Unlike req/s these"
        " hardly change when other work shares the machine; *other* is the share of all CPUs used by processes"
        " outside the benchmark (other people's tests, browsers) and says how far req/s was held down; *idle before* is"
        " how idle the CPUs were in the second before the warm-up (after waiting up to `QUIET_WAIT` seconds).",
        "",
        "| Page | gunicorn ms/req | PostgreSQL ms/req | vs ceiling by gunicorn CPU | wrk CPU | idle before | other |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, data in measured.items():
        cpu = data["cpu"]
        ratio = per_request_ms(ceiling, "workers") / per_request_ms(data, "workers") if ceiling else 0
        lines.append(
            f"| {LABELS.get(name, name)} | {per_request_ms(data, 'workers'):.1f} | {per_request_ms(data, 'db'):.1f}"
            f" | {ratio:.0%} | {cpu['wrk']:.1f} s | {cpu['idle_before']:.0%}"
            f" | {cpu['other'] / (cpu['wall'] * cpu['cpus']):.0%} |"
        )

    lines += ["", "## Against the targets", ""]
    for name, share in RATIO_TARGETS.items():
        data = measured.get(name)
        if data and ceiling:
            ratio = data["rps"] / ceiling["rps"]
            lines.append(
                f"- {LABELS[name]}: at least {share:.0%} of the ceiling's req/s:"
                f" {'met' if ratio >= share else 'NOT met'} ({ratio:.0%})."
            )
    spread = [LABELS.get(n, n) for n, d in measured.items() if d["p99_us"] > 2 * d["p50_us"]]
    lines.append("- p99 at most 2x p50 on every page: " + (f"NOT met on {', '.join(spread)}." if spread else "met."))
    failing = [LABELS.get(n, n) for n, d in measured.items() if d["status"] or d["socket_errors"]]
    failing += [LABELS.get(n, n) for n, d in measured.items() if d["http_status"] != 200 and n not in failing]
    lines.append("- Zero errors: " + (f"NOT met on {', '.join(failing)}." if failing else "met."))
    lines += [
        "",
        "SQL queries are counted in-process with the same settings (`bench/query_counts.py`, 10 requests per page);"
        " each page's statements are in `bench/out/queries/<page>.sql` after a run, the server log in"
        " `bench/out/gunicorn.log`.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
