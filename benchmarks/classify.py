"""`monitor classify` throughput (embedding included) and quality on the demo's ground truth.

    .venv/bin/python benchmarks/classify.py [--items 24000]

In a scratch data directory: `monitor demo` (ingest, enrich, train on the seed corpus,
classify), then the stored labels and embeddings are deleted and `monitor classify` is timed
from process start (model loading included; every embedding computed), then `monitor classify
--redo` (stored embeddings reused). Prints items/s for both and per-label precision / recall /
F1 against the demo's ground truth.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MONITOR_DATA_DIR": str(Path(tmp) / "data"),
               "MONITOR_MODELS_DIR": str(Path(tmp) / "models"), "COLUMNS": "200",
               "MONITOR_SECRET_KEY": secrets.token_urlsafe(40)}
        monitor = [sys.executable, "-m", "monitor"]
        print(f"preparing: demo stream of {args.items:,} items (training included) …",
              flush=True)
        subprocess.run([*monitor, "demo", "--quiet", "--items", str(args.items)], env=env,
                       check=True, capture_output=True)
        with sqlite3.connect(Path(tmp) / "data" / "monitor.db") as db:
            for table in ("item_labels", "item_classifications", "item_embeddings"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        for label, extra in (("embedding every item", []), ("embeddings reused", ["--redo"])):
            started = time.perf_counter()
            run = subprocess.run([*monitor, "classify", "--quiet", *extra], env=env,
                                 capture_output=True, text=True)
            seconds = time.perf_counter() - started
            if run.returncode:
                raise SystemExit(f"monitor classify failed:\n{run.stdout}\n{run.stderr}")
            found = re.search(r"Classified ([\d,]+) items", run.stdout)
            n = int(found.group(1).replace(",", "")) if found else 0
            print(f"{label:>22}: {n:,} items in {seconds:.1f} s = {n / seconds:,.0f} items/s "
                  "(from process start)")
        code = ("from pathlib import Path; from monitor.config import get_settings; "
                "from monitor.services.database import open_engine; "
                "from monitor.services.training import demo_truth_scores; "
                "s = get_settings(); t = demo_truth_scores(open_engine(s), "
                "s.data_dir / 'demo' / 'truth.jsonl'); "
                "print(f'demo truth: {t.items} items, affinity macro-F1 "
                "{t.affinity_macro_f1:.3f}'); "
                "[print(f'  {x.label:<30} P {x.precision:.3f} R {x.recall:.3f} F1 {x.f1:.3f} "
                "n {x.support}') for x in t.affinity + t.narratives]")
        subprocess.run([sys.executable, "-c", code], env=env, check=True)


if __name__ == "__main__":
    main()
