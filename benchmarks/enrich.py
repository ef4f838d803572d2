"""Enrichment throughput: `monitor enrich` over the demo stream's items, on SQLite.

    .venv/bin/python benchmarks/enrich.py [--items 24000] [--workers 1,2] [--backend sqlite]

Generates and ingests the demo stream into a scratch database once, then times
`monitor enrich --redo` (a fresh subprocess each time, so start-up — loading the codebook,
the gazetteer and the language models — is included) for each worker count.
Prints items, seconds and items/s per run, and the focus agreement with the demo truth.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "MONITOR_DATA_DIR": str(data),
               "MONITOR_SECRET_KEY": secrets.token_urlsafe(40)}
        if args.database_url:
            env["MONITOR_DATABASE_URL"] = args.database_url
        monitor = [sys.executable, "-m", "monitor"]
        print(f"preparing: demo stream of {args.items:,} items (ingest + first enrich) ...")
        demo = subprocess.run([*monitor, "demo", "--quiet", "--items", str(args.items)],
                              env={**env, "COLUMNS": "120"}, check=True, capture_output=True,
                              text=True)
        table = demo.stdout[demo.stdout.find("Enrichment vs"):]
        print(table.strip())
        print(f"\n{'workers':>8} {'items':>8} {'seconds':>8} {'items/s':>9}")
        for workers in (int(w) for w in args.workers.split(",")):
            started = time.perf_counter()
            run = subprocess.run([*monitor, "enrich", "--redo", "--quiet"],
                                 env={**env, "MONITOR_ENRICH_WORKERS": str(workers),
                                      "COLUMNS": "200"},
                                 capture_output=True, text=True)
            if run.returncode:
                raise SystemExit(f"monitor enrich failed:\n{run.stdout}\n{run.stderr}")
            seconds = time.perf_counter() - started
            found = re.search(r"Enriched ([\d,]+) items", run.stdout)
            n = int(found.group(1).replace(",", "")) if found else 0
            print(f"{workers:>8} {n:>8,} {seconds:>8.1f} {n / seconds:>9,.0f}")


if __name__ == "__main__":
    main()
