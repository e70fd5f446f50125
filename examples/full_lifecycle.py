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
from hgkm_workflow.adapters.keys import LocalKeyStore, generate_kek, kek_from_text
from hgkm_workflow.simulation.scripted_household import drive_household, start_instant


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else \
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'lifecycle.db'}"
    clock = SettableClock(start_instant())
    # The person register's keys are wrapped by a key-encryption key that never lives in the
    # database. A host passes its KMS or Vault here (or sets HGKM_REGISTER_KEK); this
    # throw-away store gets a key of its own that dies with the process.
    keys = LocalKeyStore(kek_from_text(generate_kek()))
    app = HgkmApplication(url, clock=clock, register_keys=keys)
    case_id = drive_household(app, clock, say=lambda step: print(f"• {step}"))
    print()
    # every read states who reads and why; here an auditor reviewing the case (logged)
    auditor = {"actor": {"actor_id": "auditor-1", "organisation": "inspectie", "role": "auditor"},
               "purpose": "audit"}
    for entry in app.timeline(case_id, access=auditor):
        print(entry.line())
    view = app.get_case(case_id, access=auditor)
    print(f"\nfinal phase: {view.phase.value}; loop-backs: {view.loop_backs}; "
          f"huisverbod: {view.huisverboden[0].state}")
    app.close()


if __name__ == "__main__":
    main()
