from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from monitor.domain import ItemDraft, RawRecord, Rejection, SourceSpec
from monitor.ingest.pseudonyms import pseudonymise
from monitor.ingest.reasons import Reason
from monitor.ingest.records import Limits, Validator

KEY = b"k" * 40
NOW = datetime(2021, 12, 1, tzinfo=UTC)
LIMITS = Limits(max_text_bytes=1_000, oversize_text="truncate", max_metadata_bytes=2_000,
                future_tolerance=timedelta(hours=24), min_year=1995, store_raw_handles=False)


def validate(fields: dict[str, Any], spec: SourceSpec | None = None,
             limits: Limits = LIMITS) -> ItemDraft | Rejection:
    validator = Validator(spec=spec or SourceSpec(name="s"), limits=limits, key=KEY, now=NOW)
    return validator(RawRecord(line_no=7, fields=fields, raw_excerpt=""))


def test_records_default_fields_and_metadata() -> None:
    draft = validate({"id": 42, "text": "Hello Kunduz", "timestamp": "2021-10-05T10:00:00Z",
                      "author": "@Some_User", "url": "https://news.example/a",
                      "location": "Dushanbe", "language": "en", "likes": 3})
    assert isinstance(draft, ItemDraft)
    assert draft.external_id == "42"
    assert draft.text == "Hello Kunduz" and draft.text_normalised == "hello kunduz"
    assert draft.published_at == datetime(2021, 10, 5, 10, tzinfo=UTC)
    assert draft.author_location == "Dushanbe" and draft.language == "en"
    assert draft.extra == {"likes": 3}


def test_records_author_is_pseudonymised_and_raw_handle_not_kept() -> None:
    draft = validate({"text": "x", "timestamp": "2021-10-05", "author": "@Some_User"})
    assert isinstance(draft, ItemDraft)
    assert draft.author_pseudonym == pseudonymise("some_user", key=KEY)
    assert draft.author_handle is None
    assert "Some_User" not in repr(draft)


def test_records_field_mapping_and_nested_paths() -> None:
    spec = SourceSpec(name="s", field_mapping={"text": "Content", "author": "user.screen_name",
                                               "location": "user.location", "id": "Post ID"},
                      timestamp_format="epoch_s")
    draft = validate({"Post ID": "p1", "Content": "salaam", "created_at": 1633428000,
                      "user": {"screen_name": "abc", "location": "Kabul"}}, spec)
    assert isinstance(draft, ItemDraft)
    assert (draft.external_id, draft.text, draft.author_location) == ("p1", "salaam", "Kabul")
    assert "user" not in draft.extra  # the raw handle must not leak through metadata


def test_records_forward_is_detected_and_hashes_like_the_original() -> None:
    original = validate({"text": "Statement on Kunduz", "timestamp": "2021-10-05"})
    forward = validate({"text": "RT @someone: Statement on  KUNDUZ", "timestamp": "2021-10-06"})
    assert isinstance(original, ItemDraft) and isinstance(forward, ItemDraft)
    assert forward.content_hash == original.content_hash
    assert forward.forwarded_from == pseudonymise("someone", key=KEY)


def test_records_missing_id_gets_a_stable_derived_one() -> None:
    a = validate({"text": "x", "timestamp": "2021-10-05"})
    b = validate({"text": "x", "timestamp": "2021-10-05"})
    assert isinstance(a, ItemDraft) and isinstance(b, ItemDraft)
    assert a.external_id == b.external_id and a.external_id.startswith("content:")


def test_records_oversize_text_truncated_and_flagged() -> None:
    draft = validate({"text": "ا" * 800, "timestamp": "2021-10-05"})  # 1,600 bytes
    assert isinstance(draft, ItemDraft)
    assert draft.text_truncated and draft.original_size == 1_600
    assert len(draft.text.encode()) <= 1_000


def test_records_oversize_text_rejected_by_setting() -> None:
    limits = Limits(max_text_bytes=1_000, oversize_text="reject", max_metadata_bytes=2_000,
                    future_tolerance=timedelta(hours=24), min_year=1995,
                    store_raw_handles=False)
    rejection = validate({"text": "x" * 2_000, "timestamp": "2021-10-05"}, limits=limits)
    assert isinstance(rejection, Rejection) and rejection.reason == Reason.TEXT_TOO_LARGE


def test_records_rejections_have_reasons() -> None:
    cases = {
        Reason.MISSING_TEXT: {"text": "   ", "timestamp": "2021-10-05"},
        Reason.INVALID_TEXT: {"text": {"a": 1}, "timestamp": "2021-10-05"},
        Reason.MISSING_TIMESTAMP: {"text": "x"},
        Reason.BAD_TIMESTAMP: {"text": "x", "timestamp": "last tuesday"},
        Reason.FUTURE_TIMESTAMP: {"text": "x", "timestamp": "2031-01-01"},
        Reason.ANCIENT_TIMESTAMP: {"text": "x", "timestamp": "1970-01-02"},
        Reason.NUL_BYTE: {"text": "a\x00b", "timestamp": "2021-10-05"},
    }
    for reason, fields in cases.items():
        result = validate(fields)
        assert isinstance(result, Rejection), reason
        assert result.reason == reason and result.line_no == 7 and result.excerpt


def test_records_telegram_text_lists_are_joined() -> None:
    draft = validate({"text": ["Breaking: ", {"type": "bold", "text": "Kunduz"}, "!"],
                      "date": "2021-10-08T12:00:00"})
    assert isinstance(draft, ItemDraft) and draft.text == "Breaking: Kunduz!"


def test_records_metadata_over_limit_is_summarised() -> None:
    draft = validate({"text": "x", "timestamp": "2021-10-05", "blob": "y" * 5_000})
    assert isinstance(draft, ItemDraft)
    assert "_metadata_dropped" in draft.extra and draft.extra["_metadata_keys"] == ["blob"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                       children, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["id", "text", "timestamp", "author", "url", "date",
                                        "location", "lang", "x"]), json_values, max_size=8))
def test_records_any_json_object_validates_or_is_rejected(fields: dict[str, Any]) -> None:
    result = validate(fields)
    assert isinstance(result, ItemDraft | Rejection)


def test_records_quarantine_excerpt_carries_no_raw_handle() -> None:
    spec = SourceSpec(name="s", field_mapping={"author": "user.screen_name"})
    rejection = validate({"text": "", "timestamp": "2021-10-05",
                          "user": {"screen_name": "Real_Handle", "followers": 3}}, spec)
    assert isinstance(rejection, Rejection)
    assert "Real_Handle" not in rejection.excerpt
    assert pseudonymise("real_handle", key=KEY) in rejection.excerpt


def test_records_author_object_and_author_string_in_either_order() -> None:
    validator = Validator(spec=SourceSpec(name="s"), limits=LIMITS, key=KEY, now=NOW)
    nested = {"text": "a", "timestamp": "2021-10-05", "user": {"screen_name": "Alice",
                                                                "location": "Herat"}}
    flat = {"text": "b", "timestamp": "2021-10-05", "user": {"x": 1}}
    flat["user"] = "Bob_Handle"
    for order in ([nested, flat], [flat, nested]):
        drafts = [validator(RawRecord(line_no=1, fields=f, raw_excerpt="")) for f in order]
        for draft in drafts:
            assert isinstance(draft, ItemDraft)
            assert draft.author_pseudonym in (pseudonymise("alice", key=KEY),
                                              pseudonymise("bob_handle", key=KEY))
            assert "user" not in draft.extra
            assert "Alice" not in repr(draft.extra) and "Bob_Handle" not in repr(draft.extra)
        located = next(d for d in drafts if isinstance(d, ItemDraft) and d.text == "a")
        assert located.author_location == "Herat"
