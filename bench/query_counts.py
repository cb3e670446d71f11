"""SQL queries each benchmarked page makes, counted in-process with the same settings the server uses.

    DJANGO_SETTINGS_MODULE=bench.ceiling_settings .venv/bin/python bench/query_counts.py bench/out/pages.tsv

pages.tsv has one page a line: name, path, and optionally a file of paths to rotate through (tab-separated).
Writes bench/out/queries.json ({name: {...}}) and, per page, bench/out/queries/<name>.sql with one request's SQL.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "bench" / "out"
SAMPLE = 10


def shape(sql: str) -> str:
    """The query with its literals blanked, so the same query for different rows counts as a repeat."""
    return re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", sql)


def measure(client, path: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    statements = [q["sql"] for q in captured.captured_queries]
    repeated = sum(n - 1 for n in Counter(shape(s) for s in statements).values() if n > 1)
    return {"status": response.status_code, "bytes": len(response.content), "queries": statements, "repeats": repeated}


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    (OUT / "queries").mkdir(parents=True, exist_ok=True)
    results = {}
    for line in Path(sys.argv[1]).read_text().splitlines():
        name, path, *rest = line.split("\t")
        paths = Path(rest[0]).read_text().split()[:SAMPLE] if rest and rest[0] else [path] * SAMPLE
        client.get(paths[0])  # connection, caches and templates warm, as on a server that has been up a while
        runs = [measure(client, p) for p in paths]
        counts = [len(run["queries"]) for run in runs]
        results[name] = {
            "statuses": sorted({run["status"] for run in runs}),
            "queries_min": min(counts),
            "queries_max": max(counts),
            "repeats_max": max(run["repeats"] for run in runs),
            "bytes": runs[0]["bytes"],
        }
        (OUT / "queries" / f"{name}.sql").write_text(f"-- {paths[0]}\n" + ";\n".join(runs[0]["queries"]) + ";\n")
        print(f"{name:<10} {path:<40} status {results[name]['statuses']} queries {min(counts)}-{max(counts)}")
    (OUT / "queries.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
