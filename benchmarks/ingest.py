"""Ingest throughput and peak memory: a synthetic JSONL of N lines into SQLite and PostgreSQL.

    .venv/bin/python benchmarks/ingest.py [--lines 1000000] [--backends sqlite,postgresql]

Each backend runs in a fresh subprocess (`monitor ingest`) so its peak RSS is its own.
Prints lines, seconds, items/s and peak RSS per backend.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

PLACES = ["Kunduz", "Kandahar", "Kabul", "Nangarhar", "Dushanbe", "Peshawar", "Jakarta"]
WORDS = ("report analysis statement community attack mosque province fighters government "
         "officials border refugees market school talks security week night city").split()


def write_export(path: Path, *, lines: int, seed: int = 7) -> None:
    """Lines of realistic size: ~20-40 words, some forwards, 5% repeats, authors reused."""
    rng = random.Random(seed)
    with path.open("wb") as handle:
        for i in range(lines):
            words = rng.choices(WORDS, k=rng.randint(15, 35))
            text = f"{' '.join(words)} in {rng.choice(PLACES)} #{rng.choice(PLACES).lower()}"
            if rng.random() < 0.05:
                text = f"RT @user_{rng.randint(1, 5000)}: {text}"
            record = {"id": f"b{i}", "text": text, "timestamp": 1627776000 + i * 10,
                      "author": f"user_{rng.randint(1, 20000)}", "lang": "en",
                      "url": f"https://t.example/c/{i}", "views": rng.randint(0, 5000)}
            handle.write(orjson.dumps(record) + b"\n")


def run_backend(url: str, export: Path, data_dir: Path, lines: int) -> dict[str, float]:
    env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_DATA_DIR": str(data_dir),
           "MONITOR_SECRET_KEY": secrets.token_urlsafe(40)}
    monitor = [sys.executable, "-m", "monitor"]
    subprocess.run([*monitor, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*monitor, "sources", "add", "bench"], env=env, check=True,
                   capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([*monitor, "ingest", "--source", "bench", "--quiet", str(export)], env=env,
                   check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "items_per_s": lines / seconds,
            "peak_rss_mb": max(peak_kb, before) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        export = tmp_path / "export.jsonl"
        t0 = time.perf_counter()
        write_export(export, lines=args.lines)
        print(f"wrote {args.lines:,} lines ({export.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f}s")
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path / 'bench.db'}"
                figures = run_backend(url, export, tmp_path / "data", args.lines)
            else:
                from sqlalchemy import create_engine, text
                from sqlalchemy.engine import make_url

                name = f"monitor_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                url = make_url(args.pg_admin_url).set(database=name).render_as_string(False)
                try:
                    figures = run_backend(url, export, tmp_path / "data", args.lines)
                finally:
                    with admin.connect() as connection:
                        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    admin.dispose()
            print(f"{backend:>10}: {args.lines:,} lines in {figures['seconds']:.1f}s = "
                  f"{figures['items_per_s']:,.0f} items/s, peak RSS "
                  f"{figures['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
