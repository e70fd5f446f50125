"""Screens for identifying data in the few free-text fields a command may carry.

Events hold no names, BSNs, addresses, birth dates or narratives about persons (domain brief
section 6). A rationale describes a *decision*; persons are referred to by pseudonymous id.
These screens refuse text that looks like a BSN, an e-mail address, a phone number, a Dutch
postcode, a street address or a calendar date. They cannot recognise a name, so the contract
is also documented: rationale text is about the decision, never about who someone is.
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bsn-like number", re.compile(r"(?<!\d)\d{8,9}(?!\d)")),
    ("e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("phone number", re.compile(r"(?:\+31|0031|\b0)[\s-]?(?:\d[\s-]?){8,9}\b")),
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Za-z]{2}\b")),
    ("street address", re.compile(r"\b\w+(?:straat|laan|weg|plein|gracht|kade|singel|dijk)\s+\d+",
                                  re.IGNORECASE)),
    ("date", re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})\b|\b\d{4}-\d{2}-\d{2}\b")),
)


def find_identifying_data(text: str) -> list[str]:
    """Return the kinds of identifying data the text seems to contain (empty if none)."""
    return [kind for kind, pattern in _PATTERNS if pattern.search(text)]


def elfproef(number: str) -> bool:
    """Whether a 9-digit string passes the BSN eleven-test (used only by tests and screens)."""
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0
