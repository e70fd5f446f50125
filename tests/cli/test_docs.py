"""The documentation cannot drift from the code.

* ``docs/machines.md`` and ``docs/deadline-rules.md`` equal freshly generated ones, and every
  diagram is a parseable ``stateDiagram-v2`` that draws exactly its table's transitions;
* every Dutch term of art (phases, vocabulary codes, words in machine, trigger, state, event and
  rule names, and a list of required terms) is explained in ``docs/glossary.md``;
* ``docs/events.md`` documents exactly the events declared with ``@event("...")``;
* ``docs/architecture.md`` names every module of the package.

Regenerate the generated pages with ``hgkm docs generate``.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate

from hgkm_workflow import vocabulary
from hgkm_workflow.advies import Advies
from hgkm_workflow.case import HouseholdCase
from hgkm_workflow.cli.docgen import (
    DEADLINE_RULES_FILE,
    GENERATED_FILES,
    MACHINES_FILE,
    check_docs,
    generate_docs,
)
from hgkm_workflow.domain.deadlines import default_rulebook
from hgkm_workflow.erasure import PersonRecord
from hgkm_workflow.phases import ALL_TABLES, TransitionTable
from hgkm_workflow.phases.lifecycle import CasePhase

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "hgkm_workflow"

#: Dutch terms of art that must have an entry (a bold headword) in the glossary.
REQUIRED_TERMS = (
    "veiligheidsbeoordeling",
    "huisverbod",
    "hermelding",
    "vervolgmelding",
    "waakvlam",
    "veiligheidsplan",
    "veiligheidsvoorwaarden",
    "hulpverleningsplan",
    "herstelplan",
    "casusregisseur",
    "casusregie",
    "MDA++",
    "Veilig Thuis",
    "Voorwaarden en Vervolg",
    "onderzoek",
    "melding",
    "advies",
    "melder",
    "lokaal team",
    "werkdagen",
    "Algemene termijnenwet",
    "Besluit gelijkstelling",
    "Goede Vrijdag",
    "Koningsdag",
    "gemeente",
    "ervaringsdeskundige",
    "plegeraanbod",
    "Handle with Care",
    "Raad voor de Kinderbescherming",
    "gecertificeerde instelling",
    "Zorg- en Veiligheidshuis",
    "burgemeester",
    "crisisopvang",
    "ordenende termijn",
    "meldcode",
    "CBS",
    "triage",
    "directe veiligheid",
    "risicogestuurde zorg",
    "herstel",
    "stabiele veiligheid",
    "tijdelijk huisverbod",
    "Wet tijdelijk huisverbod",
    "Handelingsprotocol Veilig Thuis",
    "1 gezin, 1 plan, 1 regisseur",
)

#: English words used in codes and identifiers; every other word must be in the glossary.
_ENGLISH = """auditor access erased erasure requested subjects
    accept accepted action active acute added address after alleged assessed assessment assign
    assigned back breached care changed check child close closed complete completed conclude
    concluded confirm confirmed contact convert converted corrected crisis deadline decline end
    ended escalate escalated existing exit expire expired extend extended factor first found
    further give given handle handover help household idle impose imposed incident inconclusive
    inform informed intervention involved lifecycle local loop measure met monitoring new no
    none not offer offered open opened other otherwise perpetrator person phase plan police
    reachable reached receive received record recorded refused region removed request
    rescheduled resolve resolved responded return returned reviewed revoke revoked risk role
    running safety scheduler school secured separation service set stable stalking start started
    system taken team to transferred trauma unassigned unmet unsafety victim with withdraw
    without withheld witness
    case field followed handed home moved on order outside partner prevented prosecuted
    protection shelter stay track needed
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())

_MERMAID_BLOCK = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
_STATE_REF = r"(?:\w+|\[\*\])"
_MERMAID_LINE = (
    re.compile(r"direction (?:LR|RL|TB|BT)"),
    re.compile(r"classDef \w+ \S.*"),
    re.compile(r'state "[^"]*" as \w+'),
    re.compile(r"class \w+ \w+", re.IGNORECASE),
    re.compile(rf"{_STATE_REF} --> {_STATE_REF}(?:: ?\S.*)?"),
)
_TRANSITION = re.compile(r"^\s*(\w+) --> (\w+): (\w+(?: \| \w+)*)\s*$", re.MULTILINE)
_PROVENANCE = ("actor", "at", "rationale", "rule")
_METADATA = frozenset(
    {"originator_id", "originator_id_type", "originator_version", "timestamp", "originator_topic"}
)


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    """Lower case, without diacritics, with ``-`` and ``_`` read as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[-_]", " ", text).split())


def _contains_term(haystack: str, term: str) -> bool:
    needle = re.escape(_normalise(term))
    return re.search(rf"(?<!\w){needle}(?!\w)", haystack) is not None


def _words(identifier: str) -> list[str]:
    """``receive_vervolgmelding`` -> [receive, vervolgmelding]; CamelCase is split too."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", identifier)
    return [w.lower() for w in re.split(r"[_\W]+", spaced) if w]


def _vocabulary_enums() -> list[type[enum.StrEnum]]:
    return [
        obj
        for obj in vars(vocabulary).values()
        if isinstance(obj, type) and issubclass(obj, enum.StrEnum) and obj is not enum.StrEnum
    ]


def _event_classes() -> dict[str, type[Aggregate.Event]]:
    """The event classes of the aggregates (from ``@event("...")`` or explicit classes)."""
    found: dict[str, type[Aggregate.Event]] = {}
    for aggregate in (HouseholdCase, Advies, PersonRecord):
        for name in dir(aggregate):
            obj = getattr(aggregate, name)
            if (
                isinstance(obj, type)
                and issubclass(obj, Aggregate.Event)
                and obj.__qualname__ == f"{aggregate.__name__}.{name}"
                and name not in {"Event", "Created"}
            ):
                found[name] = obj
    return found


def _event_fields(cls: type[Aggregate.Event]) -> list[str]:
    annotations: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    return [f for f in annotations if f not in _METADATA]


def _declared_events() -> set[str]:
    """Every event name declared with ``@event`` anywhere in the package."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names.update(re.findall(r'@event\(\s*"?(\w+)"?\s*\)', text))
        # an event method whose body lives in a domain module: ``_x = event("Name")(body)``
        names.update(re.findall(r'= event\(\s*"(\w+)"\s*\)\(', text))
    return names


@pytest.fixture(scope="module")
def glossary() -> str:
    return _normalise(_read("glossary.md"))


@pytest.fixture(scope="module")
def headwords() -> str:
    return "\n".join(_normalise(h) for h in re.findall(r"\*\*(.+?)\*\*", _read("glossary.md")))


# ------------------------------------------------------------------ generated pages


def test_committed_generated_docs_equal_fresh_output() -> None:
    stale = check_docs(DOCS)
    assert stale == [], f"generated docs are stale: {stale}; run `hgkm docs generate`"


def test_generation_is_deterministic_and_checkable(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    written = generate_docs(first)
    generate_docs(second)
    assert [p.name for p in written] == list(GENERATED_FILES)
    for path in written:
        assert path.read_bytes() == (second / path.name).read_bytes()
    assert check_docs(first) == []


def test_check_reports_stale_and_missing_files(tmp_path: Path) -> None:
    generate_docs(tmp_path)
    (tmp_path / MACHINES_FILE).write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / DEADLINE_RULES_FILE).unlink()
    assert check_docs(tmp_path) == [
        str(tmp_path / MACHINES_FILE),
        str(tmp_path / DEADLINE_RULES_FILE),
    ]


def test_generated_pages_say_they_are_generated() -> None:
    for name in GENERATED_FILES:
        text = _read(name)
        assert "Generated file" in text and "hgkm docs generate" in text, name


def test_deadline_rules_page_lists_every_rule() -> None:
    text = _read(DEADLINE_RULES_FILE)
    for rule in default_rulebook():
        assert f"## {rule.id} `{rule.name}`" in text


# ------------------------------------------------------------------ diagrams


def _diagram_body(block: str) -> list[str]:
    """The lines after the front-matter; the first must be the diagram type."""
    lines = block.strip("\n").split("\n")
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    return lines


def _check_mermaid(block: str) -> None:
    lines = _diagram_body(block)
    assert lines and lines[0].strip() == "stateDiagram-v2", lines[:1]
    declared = set(re.findall(r'^\s*state "[^"]*" as (\w+)\s*$', block, re.MULTILINE))
    for line in lines[1:]:
        stripped = line.strip()
        if not stripped:
            continue
        assert any(p.fullmatch(stripped) for p in _MERMAID_LINE), f"unparsed line: {line!r}"
    for source, dest, _ in _TRANSITION.findall(block):
        assert {source, dest} <= declared, f"undeclared state in {source} --> {dest}"


def test_every_mermaid_block_in_the_docs_parses_minimally() -> None:
    blocks = [
        (path.name, block)
        for path in sorted(DOCS.glob("*.md"))
        for block in _MERMAID_BLOCK.findall(path.read_text(encoding="utf-8"))
    ]
    assert len(blocks) >= len(ALL_TABLES)
    for name, block in blocks:
        try:
            _check_mermaid(block)
        except AssertionError as exc:  # pragma: no cover - message only
            raise AssertionError(f"{name}: {exc}") from exc


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_machine_section_draws_exactly_its_table(table: TransitionTable) -> None:  # type: ignore[type-arg]
    sections = {s.split("\n", 1)[0].strip(): s for s in _read(MACHINES_FILE).split("\n## ")[1:]}
    section = sections[table.name]
    blocks = _MERMAID_BLOCK.findall(section)
    assert len(blocks) == 1
    drawn = {
        (source, dest, trigger)
        for source, dest, label in _TRANSITION.findall(blocks[0])
        for trigger in label.split(" | ")
    }
    rows = {(r.source, r.dest, r.trigger) for r in table.rows}
    assert drawn == rows
    listed = set(re.findall(r"^\| `(\w+)` \| `(\w+)` \| `(\w+)` \|$", section, re.MULTILINE))
    assert listed == {(r.trigger, r.source, r.dest) for r in table.rows}
    assert re.search(rf"^\s*\[\*\] --> {table.initial.value}\s*$", blocks[0], re.MULTILINE)


# ------------------------------------------------------------------ glossary


@pytest.mark.parametrize("term", REQUIRED_TERMS)
def test_required_term_has_a_glossary_entry(term: str, headwords: str) -> None:
    assert _contains_term(headwords, term), f"no glossary entry (bold headword) for {term!r}"


def test_every_dutch_phase_has_a_glossary_entry(headwords: str) -> None:
    for phase in CasePhase:
        words = _words(phase.value)
        if all(w in ENGLISH_WORDS for w in words) and phase is not CasePhase.TRIAGE:
            continue
        assert _contains_term(headwords, phase.value), phase.value


def test_every_dutch_vocabulary_code_is_in_the_glossary(glossary: str) -> None:
    missing: list[str] = []
    for enum_type in _vocabulary_enums():
        for member in enum_type:
            words = _words(member.value)
            dutch = [w for w in words if w not in ENGLISH_WORDS]
            if not dutch:
                continue  # an English code
            if len(dutch) == len(words):  # a Dutch code: the whole phrase is explained
                ok = _contains_term(glossary, member.value)
            else:  # mixed, e.g. rvdk_request: each Dutch word is explained
                ok = all(_contains_term(glossary, w) for w in dutch)
            if not ok:
                missing.append(f"{enum_type.__name__}.{member.name} = {member.value!r}")
    assert missing == [], "add to docs/glossary.md (or, if English, to ENGLISH_WORDS): " + (
        ", ".join(missing)
    )


def _identifiers_in_docs() -> set[str]:
    names: set[str] = set(_declared_events())
    for table in ALL_TABLES:
        names.add(table.name)
        names.update(s.value for s in table.states)
        names.update(table.triggers())
    for rule in default_rulebook():
        names.update({rule.name, rule.starts_on, *rule.satisfied_by})
    return names


def test_every_dutch_word_in_machine_event_and_rule_names_is_in_the_glossary(
    glossary: str,
) -> None:
    missing = sorted(
        {
            f"{word} (in {name})"
            for name in _identifiers_in_docs()
            for word in _words(name)
            if word not in ENGLISH_WORDS and not _contains_term(glossary, word)
        }
    )
    assert missing == [], "add to docs/glossary.md (or to ENGLISH_WORDS): " + ", ".join(missing)


def test_english_words_are_not_glossary_blind_spots() -> None:
    # Guard against hiding a Dutch word by calling it English.
    assert not ENGLISH_WORDS & {"melding", "advies", "zorg", "veiligheid", "herstel", "waakvlam"}


# ------------------------------------------------------------------ hand-written pages


def test_events_page_documents_exactly_the_declared_events() -> None:
    text = _read("events.md")
    documented = set(re.findall(r"^### `(\w+)`", text, re.MULTILINE))
    declared = _declared_events()
    assert declared, "no @event declarations found"
    assert declared == set(_event_classes()), \
        "an aggregate outside case.py, advies.py and erasure.py has events"
    assert documented == declared, {
        "undocumented": sorted(declared - documented),
        "no longer declared": sorted(documented - declared),
    }
    assert "pseudonymous" in text


def test_architecture_page_names_every_module() -> None:
    text = _read("architecture.md")
    modules = sorted(
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"
    )
    missing = [m for m in modules if f"`{m}`" not in text]
    assert missing == [], f"docs/architecture.md does not mention: {missing}"


def test_events_page_names_every_field_of_every_event() -> None:
    text = _read("events.md")
    sections = dict(re.findall(r"^### `(\w+)`\n(.*?)(?=^### |\Z)", text, re.MULTILINE | re.DOTALL))
    problems: list[str] = []
    for name, cls in sorted(_event_classes().items()):
        section = sections.get(name, "")
        fields = _event_fields(cls)
        if all(f in fields for f in _PROVENANCE):
            if "provenance" not in section:
                problems.append(f"{name}: provenance")
            fields = [f for f in fields if f not in _PROVENANCE]
        problems += [f"{name}.{f}" for f in fields if f"`{f}`" not in section]
    assert problems == [], f"docs/events.md does not name: {problems}"


def test_architecture_page_names_no_missing_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = re.findall(r"^\| `([^`]+\.py)`", text, flags=re.MULTILINE)
    assert named, "the module table was not found"
    gone = [m for m in named if not (ROOT / "hgkm_workflow" / m).exists()]
    assert gone == [], f"docs/architecture.md names modules that do not exist: {gone}"
