"""Why a record went to quarantine. Each reason has a one-line explanation for the user."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    MALFORMED_CSV = "malformed_csv"
    CSV_FIELD_TOO_LARGE = "csv_field_too_large"
    RECORD_TOO_LARGE = "record_too_large"
    INVALID_UTF8 = "invalid_utf8"
    NUL_BYTE = "nul_byte"
    MISSING_TEXT = "missing_text"
    INVALID_TEXT = "invalid_text"
    TEXT_TOO_LARGE = "text_too_large"
    MISSING_TIMESTAMP = "missing_timestamp"
    BAD_TIMESTAMP = "bad_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    ANCIENT_TIMESTAMP = "ancient_timestamp"


EXPLANATIONS: dict[Reason, str] = {
    Reason.MALFORMED_JSON: "The line is not valid JSON.",
    Reason.NOT_AN_OBJECT: "The JSON line is valid but not an object ({...}).",
    Reason.NUMBER_OUT_OF_RANGE: "A number in the record is too large to represent.",
    Reason.MALFORMED_CSV: "The CSV row does not have as many cells as the header.",
    Reason.CSV_FIELD_TOO_LARGE: "A CSV cell is larger than the csv module's field limit.",
    Reason.RECORD_TOO_LARGE: "The raw record is larger than MONITOR_MAX_RECORD_BYTES.",
    Reason.INVALID_UTF8: "The record is not valid UTF-8.",
    Reason.NUL_BYTE: "The record contains a NUL character, which the store cannot hold.",
    Reason.MISSING_TEXT: "The record has no text, or only whitespace.",
    Reason.INVALID_TEXT: "The text field is neither a string nor a list of text parts.",
    Reason.TEXT_TOO_LARGE: "The text is over MONITOR_MAX_TEXT_BYTES and oversize_text=reject.",
    Reason.MISSING_TIMESTAMP: "The record has no timestamp.",
    Reason.BAD_TIMESTAMP: "The timestamp cannot be parsed with the source's format.",
    Reason.FUTURE_TIMESTAMP: "The timestamp lies in the future beyond the allowed clock skew.",
    Reason.ANCIENT_TIMESTAMP: "The timestamp is before MONITOR_MIN_YEAR.",
}


def explain(reason: str) -> str:
    """The one-line meaning of a stored reason (empty for one this version doesn't know)."""
    try:
        return EXPLANATIONS[Reason(reason)]
    except ValueError:
        return ""
