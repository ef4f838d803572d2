"""Text handling at ingest: normalisation for matching, content hashes, forward prefixes.

The verbatim text is always kept; these derive what matching and dedup compare.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# "RT @handle: ..." (retweets) and "Forwarded from @handle: ..." (channel forwards).
_FORWARD = re.compile(
    r"^\s*(?:RT|Forwarded from|FWD?)\s*:?\s*@([\w.\-]{1,64})\s*:?\s*", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")


def _is_format_char(char: str) -> bool:
    # Cf: zero-width joiners/spaces, soft hyphen, bidi controls; Cc except whitespace.
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and not char.isspace())


def normalise_for_matching(text: str) -> str:
    """NFKC, format and control characters removed, whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(char for char in text if not _is_format_char(char))
    else:
        text = "".join(char for char in text if char >= " " or char in "\t\n\r")
    return _SPACE.sub(" ", text).strip().casefold()


def split_forward(text: str) -> tuple[str | None, str]:
    """The forwarded-from handle (if the text is a forward) and the forwarded text."""
    match = _FORWARD.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def content_hash(normalised_core: str) -> str:
    """SHA-256 of the normalised text without any forward prefix: equal for near-duplicates."""
    return hashlib.sha256(normalised_core.encode("utf-8")).hexdigest()


def strip_for_display(text: str) -> str:
    """Text safe to print: control, zero-width and bidi-override characters removed."""
    return "".join(
        char if char in "\n\t" or not _is_format_char(char) else "" for char in text
    )
