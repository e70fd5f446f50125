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


_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
           "december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec|january|february|march|"
           "may|june|july|august|october")

# Checked on a copy of the text with separators between digits removed, so a BSN or phone
# number written in groups ("1234.56.782", "123 456 782", "010 - 123 45 67") is still seen.
# A grouped number counts as a BSN only when its nine digits pass the eleven-test, so a range
# of years ("2025-2026") or a list of counts is not mistaken for one.
_SPREAD_BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")
_SPREAD_PHONE = re.compile(r"(?:\+31|0031|(?<!\d)0)\d{9}(?!\d)")

_WRITTEN_DATE = re.compile(
    rf"\b\d{{1,2}}\s*(?:e\s+)?(?:{_MONTHS})\.?\s+(?:19|20)\d{{2}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)

_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[\s.\-/]+(?=\d)")


def find_identifying_data(text: str) -> list[str]:
    """Return the kinds of identifying data the text seems to contain (empty if none).

    Digits are also read with the separators between them removed (spaces, dots, dashes,
    slashes), so grouped numbers are caught; dates are caught in numbers and in words
    ("3 januari 1990").
    """
    found = [kind for kind, pattern in _PATTERNS if pattern.search(text)]
    joined = _DIGIT_SEPARATORS.sub("", text)
    if "bsn-like number" not in found and any(
            elfproef(m.group()) for m in _SPREAD_BSN.finditer(joined)):
        found.append("bsn-like number")
    if "phone number" not in found and _SPREAD_PHONE.search(joined):
        found.append("phone number")
    if "date" not in found and _WRITTEN_DATE.search(text):
        found.append("date")
    return found


def elfproef(number: str) -> bool:
    """Whether a 9-digit string passes the BSN eleven-test (used only by tests and screens)."""
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0
