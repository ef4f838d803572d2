"""Author pseudonyms: a keyed hash, so the same handle maps to the same token, irreversibly."""

from __future__ import annotations

import hashlib
import hmac


def canonical_handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def pseudonymise(handle: str, *, key: bytes) -> str:
    """HMAC-SHA256 of the canonical handle, shortened to 32 hex digits (128 bits)."""
    digest = hmac.new(key, canonical_handle(handle).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]
