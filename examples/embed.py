"""The 20-line embedding from the README: a service receives a melding and asks what is due."""

import tempfile
import uuid
from pathlib import Path

from hgkm_workflow import HgkmApplication, SystemClock

app = HgkmApplication(f"sqlite:///{Path(tempfile.mkdtemp()) / 'vt.db'}", clock=SystemClock())
vt = {"actor_id": "vt-017", "organisation": "vt-rotterdam-rijnmond", "role": "vt_medewerker"}
victim, perpetrator = uuid.uuid4(), uuid.uuid4()  # ids from the person register
result = app.receive_melding({
    "actor": vt, "rationale": "police report after a call-out",
    "region": "rotterdam-rijnmond", "gemeente": "GM0599", "melder_type": "politie",
    "persons": [{"person_id": str(victim), "role": "victim"},
                {"person_id": str(perpetrator), "role": "alleged_perpetrator"}],
    "forms_of_violence": ["partnergeweld"],
})
case = app.get_case(result.case_id, access={"actor": vt, "purpose": "triage"})  # need to know
t1 = case.deadline("veiligheidsbeoordeling")
print(case.phase.value, "- veiligheidsbeoordeling due", t1.due.isoformat(), t1.skipped)
app.close()
