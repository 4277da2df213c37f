"""Content-derived refs: the one hash scheme every marker and store uses."""

from __future__ import annotations

import hashlib
import re

REF_HEX_CHARS = 16
"""Length of a ref: 16 hex characters (64 bits) of SHA-256 over the UTF-8 original."""

REF_PATTERN = re.compile(r"[0-9a-f]{16,64}")


def make_ref(content: str) -> str:
    """Return the ref of ``content``: the first 16 hex digits of its SHA-256.

    Lone surrogates (text decoded with ``surrogateescape``) are hashed through
    ``surrogatepass`` so any Python string has a ref.
    """
    data = content.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:REF_HEX_CHARS]


def is_ref(value: str) -> bool:
    """True when ``value`` has the shape of a ref."""
    return REF_PATTERN.fullmatch(value) is not None
