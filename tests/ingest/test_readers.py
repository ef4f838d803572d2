import gzip
import io

from hypothesis import given
from hypothesis import strategies as st

from monitor.ingest.readers import decompressing, read_csv, read_jsonl
from monitor.ingest.reasons import Reason


def _jsonl(data: bytes, limit: int = 10_000) -> list:
    return list(read_jsonl(io.BytesIO(data), max_record_bytes=limit))


def _csv(data: bytes, limit: int = 1_000_000) -> list:
    return list(read_csv(io.BytesIO(data), max_record_bytes=limit))


def test_readers_jsonl_objects_with_line_numbers_and_blank_lines_skipped() -> None:
    records = _jsonl(b'{"id": 1}\n\n{"id": 2}\r\n')
    assert [(r.line_no, r.fields) for r in records] == [(1, {"id": 1}), (3, {"id": 2})]


def test_readers_jsonl_bom_is_stripped() -> None:
    assert _jsonl(b'\xef\xbb\xbf{"id": 1}\n')[0].fields == {"id": 1}


def test_readers_jsonl_errors_are_records_not_exceptions() -> None:
    data = b"\n".join([
        b'{"id": 1',                      # malformed
        b'[1, 2]',                        # not an object
        b'{"id": ' + b"9" * 5000 + b"}",  # a 5,000-digit number
        b'{"id": "\xff\xfe"}',            # invalid UTF-8
        b'{"id": "a\x00b"}',              # raw NUL byte
        b'{"id": 6}',
    ])
    records = _jsonl(data)
    assert [r.error for r in records] == [
        Reason.MALFORMED_JSON, Reason.NOT_AN_OBJECT, Reason.NUMBER_OUT_OF_RANGE,
        Reason.INVALID_UTF8, Reason.NUL_BYTE, None,
    ]
    assert records[-1].fields == {"id": 6}
    assert all(len(r.raw_excerpt) <= 301 for r in records)


def test_readers_jsonl_overlong_line_is_skipped_without_reading_it_whole() -> None:
    data = b'{"id": 1}\n{"text": "' + b"x" * 50_000 + b'"}\n{"id": 3}\n'
    records = _jsonl(data, limit=10_000)
    assert [r.error for r in records] == [None, Reason.RECORD_TOO_LARGE, None]
    assert records[2].fields == {"id": 3} and records[2].line_no == 3


def test_readers_gzip_is_detected_by_content() -> None:
    stream = decompressing(io.BytesIO(gzip.compress(b'{"id": 1}\n')))
    assert [r.fields for r in read_jsonl(stream, max_record_bytes=1000)] == [{"id": 1}]


def test_readers_csv_header_quoted_newlines_and_bom() -> None:
    data = b'\xef\xbb\xbfid,text\n1,"two\nlines"\n2,plain\n'
    records = _csv(data)
    assert [(r.line_no, r.fields) for r in records] == [
        (2, {"id": "1", "text": "two\nlines"}), (4, {"id": "2", "text": "plain"}),
    ]


def test_readers_csv_bad_rows_quarantined_and_neighbours_read() -> None:
    big = b"x" * 200_000
    data = b"id,text\n1,ok\n2,too,many\n3," + big + b"\n4,\xff\xfe\n5,a\x00b\n6,fine\n"
    records = _csv(data)
    assert [r.error for r in records] == [
        None, Reason.MALFORMED_CSV, Reason.CSV_FIELD_TOO_LARGE, Reason.INVALID_UTF8,
        Reason.NUL_BYTE, None,
    ]
    assert records[-1].fields == {"id": "6", "text": "fine"}
    assert records[2].line_no == 4


@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=4),
                max_size=8))
def test_readers_jsonl_round_trips_any_objects(objects: list[dict[str, str]]) -> None:
    import orjson

    data = b"\n".join(orjson.dumps(o) for o in objects)
    records = [r for r in _jsonl(data) if r.fields is not None]
    assert [r.fields for r in records] == [o for o in objects]


@given(st.binary(max_size=300))
def test_readers_never_raise_on_arbitrary_bytes(data: bytes) -> None:
    _jsonl(data)
    _csv(data)


def test_readers_csv_overlong_line_does_not_swallow_the_next_rows() -> None:
    data = b'id,text\n1,ok\n2,"' + b"x" * 20_000 + b'"\n3,fine\n4,also fine\n'
    records = _csv(data, limit=10_000)
    assert [r.error for r in records] == [None, Reason.RECORD_TOO_LARGE, None, None]
    assert [r.fields["id"] for r in records if r.fields] == ["1", "3", "4"]
