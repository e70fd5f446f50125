"""Point 8: a screen that sees through obfuscation, and codes kept to a code alphabet."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hgkm_workflow.privacy import (
    CodeKind,
    InvalidCode,
    elfproef,
    find_identifying_data,
    validate_code,
)

SEPARATORS = [" ", ".", "_", "-", "/", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad",
              "\ufeff", "\u00a0", ", ", " - "]


def _bsn(digits: list[int]) -> str | None:
    total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    check = total % 11
    return None if check == 10 else "".join(map(str, digits)) + str(check)


bsns = st.lists(st.integers(0, 9), min_size=8, max_size=8).map(_bsn).filter(
    lambda b: b is not None and b[0] != "0")
phones = st.lists(st.integers(0, 9), min_size=8, max_size=8).map(
    lambda ds: "06" + "".join(map(str, ds)))


@st.composite
def obfuscated(draw: st.DrawFn, number: st.SearchStrategy[str | None]) -> str:
    """``number`` with random separators and invisible characters between its digits."""
    digits = draw(number)
    assert digits is not None
    out = []
    for i, digit in enumerate(digits):
        wide = draw(st.booleans())  # some digits full-width
        out.append(chr(ord(digit) - ord("0") + 0xFF10) if wide else digit)
        if i < len(digits) - 1 and draw(st.booleans()):
            out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(obfuscated(bsns))
def test_obfuscated_bsns_are_caught(text: str) -> None:
    assert "bsn-like number" in find_identifying_data(f"besproken, nummer {text} genoteerd")


@settings(max_examples=300)
@given(obfuscated(phones))
def test_obfuscated_phone_numbers_are_caught(text: str) -> None:
    found = find_identifying_data(f"teruggebeld op {text} vanmiddag")
    assert "phone number" in found or "bsn-like number" in found


WORDS = ["risico", "veiligheid", "afspraken", "gesprek", "melding", "besproken", "overleg",
         "plan", "hulp", "onderweg", "gezin", "zorg", "vervolg", "wijkteam", "opgeschaald",
         "huisverbod", "verlengd", "evaluatie", "signalen", "herhaald", "school", "kinderen",
         "ouders", "weg", "straat", "op", "in", "na", "met", "de", "het", "een", "en", "niet",
         "week", "maandag", "dagen", "twee", "drie", "kernteam", "casusregie", "overgedragen",
         "veiligheidsplan", "uitweg", "snelweg", "achterweg", "communicatiekanaal", "zorgpad",
         "gerechtshof", "arbeidsmarkt", "risicotaxatie", "acuut", "dreiging"]
#: Numbers in prose come with what they count ("3 dagen"); a bare run of nine digits spread
#: over five numbers may pass the eleven-test and is (rightly) refused.
numbers = st.tuples(st.integers(1, 28), st.sampled_from(["dagen", "weken", "meldingen"])).map(
    lambda t: f"{t[0]} {t[1]}")


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(WORDS), numbers), min_size=3, max_size=25))
def test_ordinary_rationales_pass(words: list[str]) -> None:
    assert find_identifying_data(" ".join(words)) == []


@pytest.mark.parametrize("text", [
    "afgesproken bij de Kerkstraat",            # street name without number
    "gezien op de dorpsweg bij de school",
    "born March 3rd, 1990",                     # English dates
    "on 3 March 1990 the incident happened",
    "geboren 3e van maart 1990".replace("e van ", " "),
    "rekening NL91 ABNA 0417 1643 00",           # IBAN
    "mail: naam (at) example.org",
    "bsn\u200b 1\u200b1\u200b1\u200b2\u200b2\u200b2\u200b3\u200b3\u200b3",
    "bsn 111_222_333",
])
def test_obfuscated_details_are_caught(text: str) -> None:
    assert elfproef("111222333")
    assert find_identifying_data(text) != []


@pytest.mark.parametrize(("value", "kind"), [
    ("vt-haaglanden", CodeKind.ORGANISATION), ("wijkteam-3", CodeKind.ORGANISATION),
    ("actor-7f3a9c", CodeKind.ACTOR), ("haaglanden", CodeKind.REGION),
    ("GM0363", CodeKind.GEMEENTE), ("hgkm-scenario-runner", CodeKind.ACTOR)])
def test_codes_of_the_alphabet_pass(value: str, kind: CodeKind) -> None:
    assert validate_code(value, kind) == value


@pytest.mark.parametrize(("value", "kind"), [
    ("Jan de Vries", CodeKind.ACTOR), ("111222333", CodeKind.ACTOR),
    ("vt.111.222.333", CodeKind.ORGANISATION), ("06-12345678", CodeKind.ACTOR),
    ("a" * 65, CodeKind.ACTOR), ("gm0363", CodeKind.GEMEENTE), ("GM03631", CodeKind.GEMEENTE),
    ("x\u200b", CodeKind.REGION), ("actor-1990-03-03", CodeKind.ACTOR)])
def test_codes_outside_the_alphabet_or_identifying_are_refused(value: str, kind: CodeKind
                                                               ) -> None:
    with pytest.raises(InvalidCode) as info:
        validate_code(value, kind)
    assert info.value.code == "INVALID_CODE" and value not in str(info.value)
