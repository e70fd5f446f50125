"""Drive one household through every phase and print who did what, when and why.

A police melding before Koningsdag, a huisverbod imposed and extended, an MDA++ escalation and
return, a warm handover, every phase, a loop-back after a new incident, the waakvlam and
closure — on a throw-away SQLite store, with simulated time.

    python examples/full_lifecycle.py [STORE_URL]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hgkm_workflow import HgkmApplication, SettableClock
from hgkm_workflow.demo import drive_household, start_instant
from hgkm_workflow.timeline import timeline


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else \
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'lifecycle.db'}"
    clock = SettableClock(start_instant())
    app = HgkmApplication(url, clock=clock)
    case_id = drive_household(app, clock, say=lambda step: print(f"• {step}"))
    print()
    for entry in timeline(app.case_events(case_id)):
        print(entry.line())
    view = app.get_case(case_id)
    print(f"\nfinal phase: {view.phase.value}; loop-backs: {view.loop_backs}; "
          f"huisverbod: {view.huisverboden[0].state}")
    app.close()


if __name__ == "__main__":
    main()
