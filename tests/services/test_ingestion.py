"""Ingestion end to end on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from monitor.config import Settings
from monitor.domain import SourceSpec
from monitor.errors import SourceError
from monitor.services.ingestion import ingest_files
from monitor.services.sources import add_source
from monitor.store.engine import session_scope
from monitor.store.tables import IngestRunRecord, ItemRecord, QuarantineRecord

BEFORE = b'{"id": "before", "text": "Report from Kunduz", "timestamp": "2021-10-05T10:00:00Z"}'
AFTER = b'{"id": "after", "text": "Analysis of the week", "timestamp": "2021-10-06T10:00:00Z"}'
CSV_HEADER = b"id,text,timestamp"
CSV_BEFORE = b"before,Report from Kunduz,2021-10-05T10:00:00Z"
CSV_AFTER = b"after,Analysis of the week,2021-10-06T10:00:00Z"


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _ingest(engine: Engine, settings: Settings, path: Path, source: str = "files"):
    add_source(engine, spec=SourceSpec(name=source), exist_ok=True)
    return ingest_files(engine, source_name=source, paths=[path], settings=settings)


def _ids(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.scalars(select(ItemRecord.external_id)))


def _quarantine(engine: Engine) -> list[tuple[str, int]]:
    with session_scope(engine) as session:
        rows = session.execute(select(QuarantineRecord.reason, QuarantineRecord.line_no))
        return sorted((reason, line) for reason, line in rows)


JSONL_CASES = {
    "malformed_json": b'{"id": "bad", "text": "unterminated',
    "missing_text": b'{"id": "bad", "timestamp": "2021-10-05T11:00:00Z"}',
    "empty_text": b'{"id": "bad", "text": "  ", "timestamp": "2021-10-05T11:00:00Z"}',
    "bad_timestamp": b'{"id": "bad", "text": "x", "timestamp": "the day after"}',
    "future_timestamp": b'{"id": "bad", "text": "x", "timestamp": "2999-01-01T00:00:00Z"}',
    "invalid_utf8": b'{"id": "bad", "text": "caf\xe9", "timestamp": "2021-10-05T11:00:00Z"}',
    "nul_byte": b'{"id": "bad", "text": "a\x00b", "timestamp": "2021-10-05T11:00:00Z"}',
    "escaped_nul": b'{"id": "bad", "text": "a\\u0000b", "timestamp": "2021-10-05T11:00:00Z"}',
    "huge_number": b'{"id": ' + b"7" * 5000 + b', "text": "x", "timestamp": "2021-10-05"}',
    "not_an_object": b'["id", "text"]',
}
EXPECTED_REASON = {
    "malformed_json": "malformed_json",
    "missing_text": "missing_text",
    "empty_text": "missing_text",
    "bad_timestamp": "bad_timestamp",
    "future_timestamp": "future_timestamp",
    "invalid_utf8": "invalid_utf8",
    "nul_byte": "nul_byte",
    "escaped_nul": "nul_byte",
    "huge_number": "number_out_of_range",
    "not_an_object": "not_an_object",
}


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_ingestion_bad_jsonl_record_quarantined_and_neighbours_loaded(
    case: str, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path / "export.jsonl", [BEFORE, JSONL_CASES[case], AFTER])
    summary = _ingest(engine, settings, path)
    assert _ids(engine) == ["after", "before"]
    assert _quarantine(engine) == [(EXPECTED_REASON[case], 2)]
    assert summary.quarantined_by_reason == {EXPECTED_REASON[case]: 1}
    assert (summary.read, summary.inserted, summary.quarantined) == (3, 2, 1)


def test_ingestion_far_future_number_timestamp_in_csv_is_quarantined(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path / "export.csv",
                  [CSV_HEADER, CSV_BEFORE, b"bad,x," + b"9" * 5000, CSV_AFTER])
    _ingest(engine, settings, path)
    assert _ids(engine) == ["after", "before"]
    assert _quarantine(engine) == [("bad_timestamp", 3)]


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (b"bad,only two cells", "malformed_csv"),
        (b"bad,too,many,cells", "malformed_csv"),
        (b"bad," + b"x" * 200_000 + b",2021-10-05T11:00:00Z", "csv_field_too_large"),
        (b"bad,caf\xe9,2021-10-05T11:00:00Z", "invalid_utf8"),
        (b"bad,a\x00b,2021-10-05T11:00:00Z", "nul_byte"),
        (b"bad,,2021-10-05T11:00:00Z", "missing_text"),
        (b"bad,x,13/45/2021", "bad_timestamp"),
    ],
)
def test_ingestion_bad_csv_row_quarantined_and_neighbours_loaded(
    bad_row: bytes, reason: str, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path / "export.csv", [CSV_HEADER, CSV_BEFORE, bad_row, CSV_AFTER])
    _ingest(engine, settings, path)
    assert _ids(engine) == ["after", "before"]
    assert _quarantine(engine) == [(reason, 3)]


def test_ingestion_utf8_bom_is_not_an_error(engine: Engine, settings: Settings,
                                            tmp_path: Path) -> None:
    jsonl = _write(tmp_path / "bom.jsonl", [b"\xef\xbb\xbf" + BEFORE, AFTER])
    csv = _write(tmp_path / "bom.csv", [b"\xef\xbb\xbf" + CSV_HEADER, CSV_BEFORE, CSV_AFTER])
    _ingest(engine, settings, jsonl, source="a")
    _ingest(engine, settings, csv, source="b")
    assert _ids(engine) == ["after", "after", "before", "before"]
    assert _quarantine(engine) == []


def test_ingestion_oversize_text_truncated_and_flagged(engine: Engine, settings: Settings,
                                                       tmp_path: Path) -> None:
    big = b'{"id": "big", "text": "' + b"y" * 150_000 + b'", "timestamp": "2021-10-05"}'
    summary = _ingest(engine, settings, _write(tmp_path / "e.jsonl", [BEFORE, big, AFTER]))
    assert summary.truncated == 1 and _ids(engine) == ["after", "before", "big"]
    with session_scope(engine) as session:
        item = session.scalars(select(ItemRecord).where(ItemRecord.external_id == "big")).one()
        assert item.text_truncated and item.original_size == 150_000
        assert len(item.text) == settings.max_text_bytes


def test_ingestion_oversize_text_rejected_by_setting(engine: Engine, settings: Settings,
                                                     tmp_path: Path) -> None:
    settings = settings.model_copy(update={"oversize_text": "reject"})
    big = b'{"id": "big", "text": "' + b"y" * 150_000 + b'", "timestamp": "2021-10-05"}'
    _ingest(engine, settings, _write(tmp_path / "e.jsonl", [BEFORE, big, AFTER]))
    assert _ids(engine) == ["after", "before"]
    assert _quarantine(engine) == [("text_too_large", 2)]


def test_ingestion_reingesting_inserts_nothing(engine: Engine, settings: Settings,
                                               tmp_path: Path) -> None:
    path = _write(tmp_path / "e.jsonl", [BEFORE, JSONL_CASES["malformed_json"], AFTER])
    _ingest(engine, settings, path)
    again = _ingest(engine, settings, path)
    assert (again.inserted, again.duplicates) == (0, 2)
    assert len(_ids(engine)) == 2 and len(_quarantine(engine)) == 1


def test_ingestion_same_text_in_another_source_is_kept_and_linked(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    a = _write(tmp_path / "a.jsonl", [BEFORE])
    forward = (b'{"id": "rt", "text": "RT @watcher_12: report from KUNDUZ", '
               b'"timestamp": "2021-10-05T12:00:00Z"}')
    b = _write(tmp_path / "b.jsonl", [BEFORE, forward])
    _ingest(engine, settings, a, source="a")
    summary = _ingest(engine, settings, b, source="b")
    assert (summary.inserted, summary.near_duplicates) == (2, 2)
    with session_scope(engine) as session:
        items = session.scalars(select(ItemRecord).order_by(ItemRecord.id)).all()
    original, copy, rt = items
    assert original.original_id is None
    assert (copy.original_id, copy.duplicate_kind) == (original.id, "exact")
    assert (rt.original_id, rt.duplicate_kind) == (original.id, "forward")
    assert rt.extra["forwarded_from"] != "watcher_12"


def test_ingestion_duplicates_within_one_batch_link_to_the_first(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    lines = [b'{"id": "%d", "text": "same words", "timestamp": "2021-10-05"}' % i
             for i in range(5)]
    summary = _ingest(engine, settings, _write(tmp_path / "e.jsonl", lines))
    assert (summary.inserted, summary.near_duplicates) == (5, 4)
    with session_scope(engine) as session:
        roots = session.scalar(select(func.count()).where(ItemRecord.original_id.is_(None)))
    assert roots == 1


def test_ingestion_gzip_and_field_mapping(engine: Engine, settings: Settings,
                                         tmp_path: Path) -> None:
    rows = b"Post ID,Content,Date,Handle,Views\np1,salaam,10/5/2021 14:30,@abc,12\n"
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(rows))
    add_source(engine, spec=SourceSpec(
        name="tool", field_mapping={"id": "Post ID", "text": "Content", "timestamp": "Date",
                                    "author": "Handle"}, timestamp_format="%m/%d/%Y %H:%M"))
    ingest_files(engine, source_name="tool", paths=[path], settings=settings)
    with session_scope(engine) as session:
        item = session.scalars(select(ItemRecord)).one()
    assert (item.external_id, item.text, item.extra) == ("p1", "salaam", {"Views": "12"})
    assert item.published_at.isoformat() == "2021-10-05T14:30:00+00:00"
    assert item.author_pseudonym and item.author_handle is None


def test_ingestion_run_is_recorded_with_counters(engine: Engine, settings: Settings,
                                                 tmp_path: Path) -> None:
    path = _write(tmp_path / "e.jsonl", [BEFORE, JSONL_CASES["bad_timestamp"], AFTER])
    summary = _ingest(engine, settings, path)
    with session_scope(engine) as session:
        run = session.get(IngestRunRecord, summary.run_id)
        assert run is not None and run.status == "completed" and run.finished_at
        assert (run.n_read, run.n_inserted, run.n_quarantined) == (3, 2, 1)
        assert run.quarantined_by_reason == {"bad_timestamp": 1}


def test_ingestion_unknown_source_says_how_to_add_it(engine: Engine, settings: Settings,
                                                     tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="monitor sources add"):
        ingest_files(engine, source_name="nope", paths=[_write(tmp_path / "e.jsonl", [BEFORE])],
                     settings=settings)


def test_ingestion_refuses_weak_secret(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    from monitor.errors import ConfigError

    weak = Settings(data_dir=tmp_path / "empty", database_url=settings.database_url,
                    secret_key="changeme", _env_file=None)  # type: ignore[call-arg]
    add_source(engine, spec=SourceSpec(name="s"))
    with pytest.raises(ConfigError, match="well-known"):
        ingest_files(engine, source_name="s", paths=[_write(tmp_path / "e.jsonl", [BEFORE])],
                     settings=weak)


def test_ingestion_worker_process_gives_the_same_rows(engine: Engine, settings: Settings,
                                                     tmp_path: Path) -> None:
    lines = [b'{"id": "%d", "text": "post %d on Kunduz", "timestamp": "2021-10-05"}' % (i, i % 7)
             for i in range(300)]
    lines[100] = JSONL_CASES["malformed_json"]
    path = _write(tmp_path / "e.jsonl", lines)
    worker = settings.model_copy(update={"ingest_parallel_min_bytes": 0})
    add_source(engine, spec=SourceSpec(name="a"))
    add_source(engine, spec=SourceSpec(name="b"))
    in_process = ingest_files(engine, source_name="a", paths=[path], settings=settings)
    parallel = ingest_files(engine, source_name="b", paths=[path], settings=worker)
    assert (in_process.read, in_process.inserted, in_process.quarantined) == (300, 299, 1)
    assert (parallel.read, parallel.inserted, parallel.quarantined) == (300, 299, 1)
    assert parallel.near_duplicates == 299  # every text already stored by source a
    with session_scope(engine) as session:
        texts = session.execute(
            select(ItemRecord.external_id, ItemRecord.text, ItemRecord.published_at)
            .order_by(ItemRecord.source_id, ItemRecord.id)).all()
    assert texts[:299] == texts[299:]


def test_ingestion_twitter_style_export_loads_unchanged(engine: Engine, settings: Settings) -> None:
    """A hand-written export in a common collection tool's shape, with its own field names."""
    from ..conftest import DATA

    add_source(engine, spec=SourceSpec(name="social", field_mapping={
        "author": "user.screen_name", "location": "user.location"}))
    summary = ingest_files(engine, source_name="social", paths=[DATA / "mixed_export.jsonl"],
                           settings=settings)
    assert (summary.read, summary.inserted, summary.near_duplicates) == (7, 6, 1)
    assert summary.quarantined_by_reason == {"malformed_json": 1}
    with session_scope(engine) as session:
        items = {i.external_id: i for i in session.scalars(select(ItemRecord))}
    assert items["1001"].published_at.isoformat() == "2021-10-08T13:20:00+00:00"
    assert items["1002"].original_id == items["1001"].id
    assert items["1002"].duplicate_kind == "forward"
    assert items["1003"].language == "ar" and items["1003"].author_location is None
    assert items["1004"].text == "په کندز کې د جمعې پر لمانځه برید وشو"
    assert items["1001"].extra == {"retweet_count": 12}
    assert all(i.author_handle is None and i.author_pseudonym for i in items.values())


@pytest.mark.parametrize("parallel", [False, True], ids=["in-process", "worker"])
def test_ingestion_truncated_gzip_keeps_what_came_before_and_says_why(
    engine: Engine, settings: Settings, tmp_path: Path, parallel: bool
) -> None:
    from monitor.errors import MonitorError

    lines = b"".join(b'{"id": "%d", "text": "post %d", "timestamp": "2021-10-05"}\n' % (i, i)
                     for i in range(3000))
    packed = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    settings = settings.model_copy(update={"ingest_parallel_min_bytes": 0 if parallel
                                           else 10**12, "ingest_batch_size": 500})
    add_source(engine, spec=SourceSpec(name="s"))
    with pytest.raises(MonitorError, match="Cannot read .*cut.jsonl.gz"):
        ingest_files(engine, source_name="s", paths=[path], settings=settings)
    stored = len(_ids(engine))
    assert 500 <= stored < 3000
    with session_scope(engine) as session:
        run = session.scalars(select(IngestRunRecord)).one()
        assert run.status == "failed" and "Cannot read" in (run.error or "")
        assert run.n_inserted == stored


def test_ingestion_changed_text_under_a_stored_id_does_not_break_linking(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Same outcome on both backends: the stored id is skipped, the next copy is the root."""
    old = b'{"id": "e1", "text": "first wording", "timestamp": "2021-10-05"}'
    _ingest(engine, settings, _write(tmp_path / "a.jsonl", [old]))
    new = [b'{"id": "e1", "text": "second wording", "timestamp": "2021-10-05"}',
           b'{"id": "e2", "text": "second wording", "timestamp": "2021-10-05"}',
           b'{"id": "e3", "text": "second wording", "timestamp": "2021-10-05"}']
    summary = _ingest(engine, settings, _write(tmp_path / "b.jsonl", new))
    assert (summary.inserted, summary.duplicates, summary.near_duplicates) == (2, 1, 1)
    with session_scope(engine) as session:
        items = {i.external_id: i for i in session.scalars(select(ItemRecord))}
    assert items["e2"].original_id is None and items["e3"].original_id == items["e2"].id
