"""Initial-assessment protocols (ensiarvio): yes/no questions, red flags and urgency.

A protocol is a data file under `data/protocols/`, one file a protocol, read strictly: a region
may edit them, and a broken file must name itself and its line instead of silently changing
what a nurse is asked. The shared life-threat questions (`_life_threats.toml`) come first in
every health protocol, as in the national call-handling practice, unless a protocol sets
`life_threats = false`; the nurse's own concern (`_nurse_concern.toml`) comes after the
protocol's own questions wherever the life threats are asked. Files whose name starts with `_`
are shared, never protocols.

Format 2 (docs/triage-format.md) makes triage safe by construction: a health protocol never
suggests self-care by default, only through affirmed `self_care_if` criteria; a follow-up
question (`show_if`) is asked only when an earlier answer makes it matter; a question id is a
global finding with the same text in every protocol.

The modules, each name in one of them:
- `model`: the protocol, its questions, domains, duties and governance; which questions are
  asked now (`visible_questions`) and which protocols a service area offers.
- `reading`: one part of a file at a time (a question table, the ages, the governance, ...).
- `loading`: whole files (`load_protocol`, `load_protocols`) and the checks across them.
- `evaluation`: the urgency the answers suggest (`evaluate`).
- `review`: lists for reviewers and vignette writers (compound questions, every finding).

The strict reader (`Source`, `Fields`) lives in `datafile.py`, shared with the catalogue and
the demo region.
"""
