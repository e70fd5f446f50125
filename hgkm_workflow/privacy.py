"""Screens for identifying data in the few free-text fields a command may carry, and codes.

Events hold no names, BSNs, addresses, birth dates or narratives about persons (domain brief
section 6). A rationale describes a *decision*; persons are referred to by pseudonymous id.
These screens refuse text that looks like a BSN, an e-mail address, a phone number, an IBAN,
a Dutch postcode, a street name or address, or a calendar date. They cannot recognise a name,
so the contract is also documented: rationale text is about the decision, never about who
someone is.

Before matching, the text is normalised: Unicode NFKC (full-width digits become ASCII digits,
ligatures and compatibility forms are unfolded), format characters (zero-width spaces and
joiners, soft hyphens, direction marks: category ``Cf``) are removed, and for numbers the
separators between digits (spaces, dots, dashes, slashes, underscores, commas, brackets) are
dropped, so ``1\u200b2_3.4 5…`` is read as the number it is.

Codes (actor ids, organisations, regions, gemeenten) are restricted to a code alphabet by
:func:`validate_code` and screened too, because codes are stored in clear (access log, read
models) even with the cipher on.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from hgkm_workflow.errors import InvalidCommand

_STREET_SUFFIXES = ("straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|dreef|burgwal|"
                    "plantsoen|boulevard|allee")
#: Ordinary words that end like a street name.
_NOT_STREETS = frozenset({
    "onderweg", "halfweg", "uitweg", "omweg", "snelweg", "spoorweg", "luchtweg", "waterweg",
    "zijweg", "doorweg", "tussenweg", "rijweg", "achterweg", "schoolplein", "speelplein",
})

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bsn-like number", re.compile(r"(?<!\d)\d{8,9}(?!\d)")),
    ("e-mail address", re.compile(
        r"[\w.+-]+@[\w-]+\.[\w.-]+"
        r"|[\w.+-]+\s*[\(\[{<]\s*(?:at|apenstaartje|apestaart)\s*[\)\]}>]\s*[\w-]+",
        re.IGNORECASE)),
    ("phone number", re.compile(r"(?:\+31|0031|\b0)[\s-]?(?:\d[\s-]?){8,9}\b")),
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Za-z]{2}\b")),
    ("date", re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4})\b|\b\d{4}-\d{2}-\d{2}\b")),
)

_STREET_ADDRESS = re.compile(rf"\b(\w+(?:{_STREET_SUFFIXES}))\s+\d+", re.IGNORECASE)
_STREET_WORD = re.compile(rf"\b(\w{{2,}}(?:{_STREET_SUFFIXES}))\b", re.IGNORECASE)

_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
           "december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec|january|february|march|"
           "may|june|july|august|october|mar|oct")

# Checked on a copy of the text with separators between digits removed, so a BSN or phone
# number written in groups ("1234.56.782", "123 456 782", "010 - 123 45 67") is still seen.
# A grouped number counts as a BSN only when its nine digits pass the eleven-test, so a range
# of years ("2025-2026") or a list of counts is not mistaken for one.
_SPREAD_BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")
_SPREAD_PHONE = re.compile(r"(?:\+31|0031|(?<!\d)0)\d{9}(?!\d)")
#: An IBAN as written (groups of four, spaces optional), and a Dutch one with any separators.
_IBAN_WRITTEN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_IBAN_NL = re.compile(r"NL\d{2}[A-Z]{4}\d{10}")

_ORDINAL = r"(?:st|nd|rd|th|e|ste|de)?"
_WRITTEN_DATE = re.compile(
    rf"\b\d{{1,2}}{_ORDINAL}\s*(?:of\s+)?(?:{_MONTHS})\.?,?\s+'?(?:(?:19|20)\d{{2}}|\d{{2}})\b"
    rf"|\b(?:{_MONTHS})\.?\s+(?:the\s+)?\d{{1,2}}{_ORDINAL},?\s+(?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)

_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[\s.\-/_,()\[\]]+(?=\d)")
_IBAN_SEPARATORS = re.compile(r"[\s.\-_]+")


def normalise(text: str) -> str:
    """NFKC, then without format characters (zero-width, soft hyphen, direction marks)."""
    if text.isascii():  # NFKC leaves ASCII as it is, and no ASCII character is a format one
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch
                   for ch in text)


def find_identifying_data(text: str) -> list[str]:
    """Return the kinds of identifying data the text seems to contain (empty if none).

    The text is normalised first (:func:`normalise`); digits are also read with the
    separators between them removed, so grouped and obfuscated numbers are caught; street
    names are caught with or without a house number; dates in numbers and in Dutch or
    English words ("3 januari 1990", "March 3rd, 1990").
    """
    text = _ascii_digits(normalise(text))
    found = [kind for kind, pattern in _PATTERNS if pattern.search(text)]
    if any(m.group(1).lower() not in _NOT_STREETS for m in _STREET_ADDRESS.finditer(text)):
        found.append("street address")
    joined = _DIGIT_SEPARATORS.sub("", text)
    if "bsn-like number" not in found and any(
            elfproef(m.group()) for m in _SPREAD_BSN.finditer(joined)):
        found.append("bsn-like number")
    if "phone number" not in found and _SPREAD_PHONE.search(joined):
        found.append("phone number")
    if "street address" not in found and any(
            m.group(1).lower() not in _NOT_STREETS for m in _STREET_WORD.finditer(text)):
        found.append("street name")
    if _has_iban(text.upper()):
        found.append("iban")
    if "date" not in found and _WRITTEN_DATE.search(text):
        found.append("date")
    return found


def _has_iban(text: str) -> bool:
    """Whether ``text`` (upper case) holds an IBAN that passes the mod-97 check."""
    written = (m.group().replace(" ", "") for m in _IBAN_WRITTEN.finditer(text))
    dutch = (m.group() for m in _IBAN_NL.finditer(_IBAN_SEPARATORS.sub("", text)))
    return any(15 <= len(c) <= 34 and _iban_ok(c) for c in (*written, *dutch))


def _iban_ok(candidate: str) -> bool:
    """The ISO 13616 mod-97 check (so ordinary letter-digit runs are not taken for IBANs)."""
    moved = candidate[4:] + candidate[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def elfproef(number: str) -> bool:
    """Whether a 9-digit string passes the BSN eleven-test (used only by tests and screens)."""
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0


# ---------------------------------------------------------------------------- codes


class CodeKind(StrEnum):
    """What a code names; each kind has its alphabet."""

    ACTOR = "actor_id"
    ORGANISATION = "organisation"
    REGION = "region"
    GEMEENTE = "gemeente"


_CODE_ALPHABET = re.compile(r"[a-z0-9][a-z0-9._:-]{0,63}")
_GEMEENTE = re.compile(r"GM\d{4}")


class InvalidCode(InvalidCommand, ValueError):
    """A code is outside its alphabet or looks like identifying data (value never echoed)."""

    code = "INVALID_CODE"
    default_rule = ("codes are lower-case letters, digits and . _ : - (at most 64), gemeente "
                    "codes GM and four digits, and never identifying data")


def validate_code(value: str, kind: CodeKind | str = CodeKind.ACTOR) -> str:
    """``value`` if it is a valid code of ``kind``; else :class:`InvalidCode`.

    Codes: ``^[a-z0-9][a-z0-9._:-]{0,63}$``; gemeente codes ``^GM\\d{4}$``. Every code is
    also screened with :func:`find_identifying_data` (a BSN or phone number spread over a
    code's separators is refused). The error names the kind, never the value. Usable as a
    pydantic ``AfterValidator`` (it is a :class:`ValueError`).
    """
    kind = CodeKind(kind)
    if not isinstance(value, str):
        raise InvalidCode(f"{kind.value} must be text")
    pattern = _GEMEENTE if kind is CodeKind.GEMEENTE else _CODE_ALPHABET
    if pattern.fullmatch(value) is None:
        raise InvalidCode(f"{kind.value} is not a code of the code alphabet")
    if kind is not CodeKind.GEMEENTE:
        kinds = [k for k in find_identifying_data(value) if k != "street name"]
        if kinds:
            raise InvalidCode(f"{kind.value} looks like identifying data ({', '.join(kinds)})")
    return value
