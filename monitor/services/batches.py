"""Read and validate a file into batches of staged rows, in this process or in a worker.

Validation is pure Python and costs about as much as storing; on a large file a worker
process validates the next batches while this one stores, using both cores. Batches cross
the process boundary as plain tuples and lists serialised with `marshal`: it builds only
built-in values (no objects, nothing executed on load), dumps three times faster than pickle
and loads as fast. If this process dies (even by kill -9) the worker's next send fails on
the broken pipe and it exits.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import multiprocessing
import queue
import signal
import threading
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from monitor.domain import ItemDraft, Rejection, SourceSpec
from monitor.errors import E_FILE_UNREADABLE, MonitorError, SourceError
from monitor.ingest.readers import decompressing
from monitor.ingest.records import Limits, Validator
from monitor.ingest.registry import get_reader
from monitor.store.bulk import staged_row


@dataclass(frozen=True, slots=True)
class Batch:
    rows: list[tuple[Any, ...]]  # staged rows (monitor.store.bulk.ROW_FIELDS order)
    rejections: list[Rejection]
    truncated: int
    position: int  # bytes of the (possibly compressed) file read so far


@dataclass(frozen=True, slots=True)
class BatchJob:
    """Everything a worker needs to produce one file's batches (all picklable)."""

    path: Path
    fmt: str
    spec: SourceSpec
    limits: Limits
    key: bytes
    now: datetime
    batch_size: int
    max_record_bytes: int


class WorkerError(MonitorError):
    """The validation worker failed."""


def read_batches(job: BatchJob) -> Generator[Batch, None, None]:
    """Batches of validated rows and rejections, in file order."""
    reader = get_reader(job.fmt)
    validator = Validator(spec=job.spec, limits=job.limits, key=job.key, now=job.now)
    rows: list[tuple[Any, ...]] = []
    rejections: list[Rejection] = []
    truncated = 0
    with job.path.open("rb") as raw_handle:
        records = reader(decompressing(raw_handle), max_record_bytes=job.max_record_bytes)
        while True:
            try:
                raw = next(records, None)
            except (EOFError, OSError, zlib.error) as exc:  # truncated or corrupt gzip
                # Store what was read before the damage, then stop with a clear message.
                yield Batch(rows, rejections, truncated, raw_handle.tell())
                raise SourceError(E_FILE_UNREADABLE.format(
                    path=job.path, problem=str(exc) or type(exc).__name__)) from exc
            if raw is None:
                break
            result = validator(raw)
            if isinstance(result, ItemDraft):
                rows.append(staged_row(result))
                truncated += result.text_truncated
            else:
                rejections.append(result)
            if len(rows) + len(rejections) >= job.batch_size:
                yield Batch(rows, rejections, truncated, raw_handle.tell())
                rows, rejections, truncated = [], [], 0
        yield Batch(rows, rejections, truncated, raw_handle.tell())


def read_batches_in_worker(job: BatchJob, *, prefetch: int = 2) -> Generator[Batch, None, None]:
    """Like read_batches, computed up to `prefetch` batches ahead in a separate process.

    A thread drains the pipe into a bounded queue, so the worker keeps validating while this
    process is busy storing (a commit takes longer than a batch); memory stays bounded by
    the queue.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(job, sender), daemon=True,
                             name="monitor-validate")
    worker.start()
    sender.close()  # only the worker writes; EOF here then means the worker is gone
    inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def drain() -> None:
        try:
            while not stop.is_set():
                message = receiver.recv_bytes()
                while not stop.is_set():
                    try:
                        inbox.put(message, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        except (EOFError, OSError):
            pass
        finally:
            if not stop.is_set():
                with contextlib.suppress(queue.Full):
                    inbox.put(None, timeout=1)  # tells the consumer the worker is gone

    thread = threading.Thread(target=drain, name="monitor-batches", daemon=True)
    thread.start()
    try:
        while True:
            message = inbox.get()
            if message is None:
                raise WorkerError("The validation worker stopped unexpectedly; run the "
                                  "ingest again (it resumes where it stopped).")
            kind, payload = marshal.loads(message)
            if kind == "batch":
                yield _batch_from(payload)
            elif kind == "error":
                raise WorkerError(payload)
            else:
                return
    finally:
        stop.set()
        if worker.is_alive():
            worker.terminate()
        worker.join(timeout=5)
        receiver.close()
        thread.join(timeout=5)


def _work(job: BatchJob, sender: Connection) -> None:
    # Ctrl-C goes to the whole process group: the parent handles it and stops this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # This process builds millions of short-lived containers and no reference cycles; the
    # cyclic collector would only rescan them (reference counting still frees everything).
    gc.disable()
    try:
        try:
            for batch in read_batches(job):
                sender.send_bytes(marshal.dumps(("batch", _batch_to(batch))))
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent is gone: nothing left to do
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            sender.send_bytes(marshal.dumps(("error", str(exc))))
            return
        sender.send_bytes(marshal.dumps(("done", None)))
    except (BrokenPipeError, ConnectionResetError):
        return
    finally:
        sender.close()


def _batch_to(batch: Batch) -> tuple[Any, ...]:
    """A batch as built-in values only (marshal serialises exact built-in types)."""
    rejections = [(r.line_no, str(r.reason), r.detail, r.excerpt) for r in batch.rejections]
    return (batch.rows, rejections, batch.truncated, batch.position)


def _batch_from(payload: tuple[Any, ...]) -> Batch:
    rows, rejections, truncated, position = payload
    return Batch(rows=rows, rejections=[Rejection(*r) for r in rejections],
                 truncated=truncated, position=position)
