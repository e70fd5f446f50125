"""Transition tables: a `transitions` machine used as data, at class level.

Each phase module declares its states and transitions as plain lists and builds one
:class:`TransitionTable`. The table answers one question — *may this trigger fire from this
state, and to which state?* — and draws its own diagram. It never holds a case: no
``Machine(model=aggregate)``, no callbacks, no state kept between calls. The aggregate changes
state only by applying events, and replay never consults a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from transitions import Machine

from hgkm_workflow.errors import TransitionNotAllowed

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transition:
    """One row of a transition table."""

    trigger: str
    source: str
    dest: str


class TransitionTable(Generic[S]):
    """A machine as data: states, transitions, and a lookup for allowed triggers."""

    def __init__(
        self,
        name: str,
        states: type[S],
        initial: S,
        transitions: Sequence[tuple[str, S | tuple[S, ...], S]],
    ) -> None:
        self.name = name
        self.states = states
        self.initial = initial
        rows: list[Transition] = []
        for trigger, sources, dest in transitions:
            srcs = [sources] if isinstance(sources, StrEnum) else list(sources)
            rows.extend(Transition(trigger, str(s.value), str(dest.value)) for s in srcs)
        self.rows: tuple[Transition, ...] = tuple(rows)
        # The `transitions` machine is built once per table, bound to no model: it validates
        # the table (unknown states raise) and is what the diagrams are drawn from.
        self.machine = Machine(
            model=None,
            states=[s.value for s in states],
            transitions=[
                {"trigger": r.trigger, "source": r.source, "dest": r.dest} for r in self.rows
            ],
            initial=initial.value,
            auto_transitions=False,
            send_event=False,
        )
        # Resolve every (trigger, source) pair once through the machine, so a decision is a
        # dictionary lookup on the hot path but the machine remains the source of truth.
        self._lookup: dict[tuple[str, str], str] = {}
        for r in self.rows:
            found = self.machine.get_transitions(trigger=r.trigger, source=r.source)
            dests: set[str] = {str(t.dest) for t in found}
            if len(dests) != 1:
                raise ValueError(f"{name}: ambiguous transition {r.trigger!r} from {r.source!r}")
            self._lookup[(r.trigger, r.source)] = dests.pop()

    def allows(self, state: S, trigger: str) -> bool:
        """Whether ``trigger`` may fire from ``state``."""
        return (trigger, str(state.value)) in self._lookup

    def next_state(self, state: S, trigger: str) -> S:
        """The state ``trigger`` leads to from ``state``; refuse with a typed error."""
        try:
            dest = self._lookup[(trigger, str(state.value))]
        except KeyError:
            raise TransitionNotAllowed(self.name, trigger, str(state.value)) from None
        return self.states(dest)

    def triggers(self) -> list[str]:
        """All trigger names in the table, in declaration order."""
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r.trigger, None)
        return list(seen)

    def triggers_from(self, state: S) -> list[str]:
        """The triggers allowed from ``state``."""
        return [r.trigger for r in self.rows if r.source == str(state.value)]

    def mermaid(self) -> str:
        """A mermaid ``stateDiagram-v2`` drawn by `transitions` from this same table."""
        from transitions.extensions.diagrams import GraphMachine

        class _Throwaway:
            """A model that exists only to be drawn."""

        model = _Throwaway()
        GraphMachine(
            model=model,
            states=[s.value for s in self.states],
            transitions=[
                {"trigger": r.trigger, "source": r.source, "dest": r.dest} for r in self.rows
            ],
            initial=self.initial.value,
            auto_transitions=False,
            graph_engine="mermaid",
            title=self.name,
        )
        graph = model.get_graph()  # type: ignore[attr-defined]
        text = str(graph.draw(None))
        # front-matter as mermaid expects it, and no state drawn as "active": a table has none
        text = text.replace(f"---\n{self.name}\n---", f"---\ntitle: {self.name}\n---", 1)
        return text.replace(" s_active\n", " s_default\n")
