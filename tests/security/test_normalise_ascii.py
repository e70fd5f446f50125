"""The screen's ASCII shortcut: plain ASCII text is normalised exactly as the full path would."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from hgkm_workflow import privacy


def _full_normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def _full_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch
                   for ch in text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_takes_the_shortcut_and_comes_out_the_same(text: str) -> None:
    assert privacy.normalise(text) == _full_normalise(text) == text
    assert privacy._ascii_digits(text) == _full_digits(text) == text


@given(st.text())
def test_any_text_is_normalised_as_the_full_path(text: str) -> None:
    assert privacy.normalise(text) == _full_normalise(text)
    assert privacy._ascii_digits(text) == _full_digits(text)


def test_non_ascii_text_is_still_folded() -> None:
    assert privacy.normalise("1\u00ad2\u200b3") == "123"  # soft hyphen, zero-width space
    assert privacy._ascii_digits("\u0661\u0662") == "12"  # Arabic-Indic digits
    assert privacy.find_identifying_data("bsn 1\u200b1122\u00ad3334") == \
        privacy.find_identifying_data("bsn 111223334")
