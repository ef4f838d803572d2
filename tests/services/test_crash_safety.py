"""Kill -9 an ingest midway, run it again: same final rows, no duplicates, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.domain import SourceSpec
from monitor.services.ingestion import list_runs
from monitor.services.sources import add_source
from monitor.store.engine import make_engine, session_scope
from monitor.store.tables import ItemRecord, QuarantineRecord

from ..conftest import TEST_SECRET

N_LINES = 60_000
BAD_EVERY = 997  # a malformed line now and then, so the quarantine must survive the kill too


def _write_export(path: Path) -> tuple[int, int]:
    good = bad = 0
    with path.open("w", encoding="utf-8") as handle:
        for i in range(N_LINES):
            if i % BAD_EVERY == 0:
                handle.write('{"id": "broken", "text": \n')
                bad += 1
            else:
                handle.write(f'{{"id": "m{i}", "text": "message {i} about Kunduz", '
                             f'"timestamp": {1633000000 + i}, "author": "user_{i % 300}"}}\n')
                good += 1
    return good, bad


def _counts(engine) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        items = session.scalar(select(func.count()).select_from(ItemRecord)) or 0
        distinct = session.scalar(select(func.count(func.distinct(ItemRecord.external_id)))) or 0
        quarantined = session.scalar(select(func.count()).select_from(QuarantineRecord)) or 0
    return items, distinct, quarantined


def _children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _gone(pids: list[int], *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [True, False], ids=["worker", "in-process"])
def test_crash_safety_kill_9_midway_then_rerun(db_url: str, tmp_path: Path,
                                               parallel: bool) -> None:
    export = tmp_path / "big.jsonl"
    good, bad = _write_export(export)
    engine = make_engine(db_url)
    add_source(engine, spec=SourceSpec(name="big"))
    env = {**os.environ, "MONITOR_DATABASE_URL": db_url, "MONITOR_SECRET_KEY": TEST_SECRET,
           "MONITOR_DATA_DIR": str(tmp_path / "data"), "MONITOR_INGEST_BATCH_SIZE": "500",
           "MONITOR_INGEST_COMMIT_EVERY": "500",
           "MONITOR_INGEST_PARALLEL": str(parallel).lower(),
           "MONITOR_INGEST_PARALLEL_MIN_BYTES": "0"}
    command = [sys.executable, "-m", "monitor", "ingest", "--source", "big", "-q", str(export)]

    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _counts(engine)[0] < 5_000:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "the ingest never got going"
        time.sleep(0.02)
    workers = _children(process.pid)
    assert bool(workers) == parallel  # the worker (and spawn's resource tracker)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _gone(workers, within=15), "the validation worker outlived its killed parent"
    after_kill = _counts(engine)
    assert 0 < after_kill[0] < good, "the kill must land midway for this test to mean anything"

    finished = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert finished.returncode == 0, finished.stderr.decode()
    items, distinct, quarantined = _counts(engine)
    assert items == distinct == good
    assert quarantined == bad
    statuses = [run.status for run, _ in list_runs(engine)]
    assert statuses == ["completed", "interrupted"]
    engine.dispose()
