"""Text handling at ingest: normalisation for matching, content hashes, forward prefixes.

The verbatim text is always kept; these derive what matching and dedup compare.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata

# "RT @handle: ..." (retweets) and "Forwarded from @handle: ..." (channel forwards).
_FORWARD = re.compile(
    r"^\s*(?:RT|Forwarded from|FWD?)\s*:?\s*@([\w.\-]{1,64})\s*:?\s*", re.IGNORECASE
)


def _is_format_char(char: str) -> bool:
    # Cf: zero-width joiners/spaces, soft hyphen, bidi controls; Cc except whitespace.
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and not char.isspace())


@functools.cache
def _format_chars() -> re.Pattern[str]:
    """One character class of every format/control code point (built once, ~0.2 s)."""
    ranges: list[str] = []
    start = prev = -2
    for code in range(sys.maxunicode + 1):
        if _is_format_char(chr(code)):
            if code != prev + 1:
                if start >= 0:
                    ranges.append(_range(start, prev))
                start = code
            prev = code
    ranges.append(_range(start, prev))
    return re.compile("[" + "".join(ranges) + "]")


def _range(start: int, end: int) -> str:
    if start == end:
        return re.escape(chr(start))
    return f"{re.escape(chr(start))}-{re.escape(chr(end))}"


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_for_matching(text: str) -> str:
    """NFKC, format and control characters removed, whitespace collapsed, case folded."""
    if text.isascii():
        text = _ASCII_CONTROL.sub("", text)
    else:
        text = _format_chars().sub("", unicodedata.normalize("NFKC", text))
    return " ".join(text.split()).casefold()


def split_forward(text: str) -> tuple[str | None, str]:
    """The forwarded-from handle (if the text is a forward) and the forwarded text."""
    match = _FORWARD.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def content_hash(normalised_core: str) -> str:
    """SHA-256 of the normalised text without any forward prefix: equal for near-duplicates.

    Kept to 128 bits (32 hex digits): collisions stay negligible at billions of items, and
    the shorter key makes the hash index, written at random pages, half the size.
    """
    return hashlib.sha256(normalised_core.encode("utf-8")).hexdigest()[:32]


def strip_for_display(text: str) -> str:
    """Text safe to print: control, zero-width and bidi-override characters removed."""
    return _format_chars().sub("", text)  # newlines and tabs are not in the class
