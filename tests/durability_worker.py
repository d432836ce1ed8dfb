"""Run by test_durability: saves contacts step by step until it is killed.

argv: DATA_DIR SEED. Prints "SAVED <id> <step>" after each save returned, "SIGNED <id>" after
each signature returned, so the parent knows what the application reported as saved.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohjaus_core.domain.clock import HELSINKI  # noqa: E402
from ohjaus_core.domain.codes import OutcomeKind, Segment, ServiceArea, Urgency  # noqa: E402
from ohjaus_core.domain.contact import ContactDraft, Step  # noqa: E402
from ohjaus_tui.store.store import Store  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=HELSINKI)

# What each step adds to the draft, in order.
FILL = {
    Step.NEED: dict(reason="Kysyy aukioloaikoja", service_area=ServiceArea.HEALTH),
    Step.ASSESSMENT: dict(protocol_id="advice_only", protocol_version=2, answers={"only_wants_information": True}),
    Step.SEGMENT: dict(suggested_urgency=Urgency.SELF_CARE, urgency=Urgency.SELF_CARE),
    Step.OUTCOME: dict(segment=Segment.ADVICE),
    Step.FOLLOW_UP: dict(outcome_kind=OutcomeKind.ADVICE, advice_text="Aukioloajat kerrottu"),
    Step.SUMMARY: dict(),
}


def main(data_dir: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(data_dir)
    worker = store.workers()[0]
    client_id = store.clients.find_clients("a")[0].id
    print("READY", flush=True)
    while True:
        draft = ContactDraft(worker_id=worker.id, unit_id=worker.unit_id, started_at=NOW, client_id=client_id)
        for step, fields in FILL.items():
            for key, value in fields.items():
                setattr(draft, key, value)
            draft.step = step
            store.contacts.save_draft(draft, NOW)
            print(f"SAVED {draft.id} {int(step)}", flush=True)
        if rng.random() < 0.5:
            store.contacts.sign(draft, NOW)
            print(f"SIGNED {draft.id}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
