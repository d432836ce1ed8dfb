"""A kept-aside social part's consensus labels: the writer's and the blind readers' urgency and
segment where they all agree, a blind adjudicator's where they do not (issue 16).

One writer's expectation is a noisy yardstick: on the parts kept aside a second careful reader
agreed with the writer on urgency in 72-94 % of the cases. The usual reference standard of
triage studies is a panel's: here the writer, the readers (tests/social_readers/*_reader_*.toml)
and, where they differ on a field, an adjudicator who saw the story, the worry and the differing
readings in no order and without knowing whose they were - never the protocol. Duties and
referrals stay the writer's. The output is a reader file, so `scripts/reader_agreement.py
PART --readers OUT` scores the protocol against it. Prints counts only:

    .venv/bin/python scripts/consensus.py tests/social_vignettes/heldout/social_heldout9.toml \\
        --readers tests/social_readers/sh9_reader_a.toml \\
        --adjudicated tests/social_readers/sh8_sh9_adjudicated.toml \\
        --out tests/social_readers/sh9_consensus.toml
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", type=Path)
    parser.add_argument("--readers", nargs="+", type=Path, required=True)
    parser.add_argument("--adjudicated", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    vignettes = tomllib.loads(args.part.read_text("utf-8"))["vignette"]
    readers = [{label["id"]: label for label in tomllib.loads(p.read_text("utf-8"))["label"]} for p in args.readers]
    settled_list = tomllib.loads(args.adjudicated.read_text("utf-8"))["label"]
    settled = {label["id"]: label for label in settled_list}
    if len(settled) != len(settled_list):
        raise SystemExit(f"{args.adjudicated}: a case is settled twice")
    for path, reader in zip(args.readers, readers):
        missing = [v["id"] for v in vignettes if v["id"] not in reader]
        if missing:
            raise SystemExit(f"{path}: no label for {len(missing)} case(s) of {args.part.name}, the first {missing[0]}")
    lines = [f"# Consensus labels of {args.part.name}: written by scripts/consensus.py (while the part is kept"
             " aside, not read by anyone who edits the social protocol).", ""]
    agreed = adjudicated = 0
    for v in vignettes:
        label = {"id": v["id"]}
        for field in ("expected_urgency", "expected_segment"):
            values = {v[field]} | {r[v["id"]][field] for r in readers}
            if len(values) == 1:
                label[field] = v[field]
                agreed += 1
            else:
                if field not in settled.get(v["id"], {}):
                    raise SystemExit(f"{v['id']}: readings differ on {field} and no adjudicated label")
                label[field] = settled[v["id"]][field]
                adjudicated += 1
        label["duties"] = v["duties"]
        label["referrals"] = v["referrals"]
        lines.append("[[label]]")
        lines.extend(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in label.items())
        lines.append("")
    args.out.write_text("\n".join(lines), "utf-8")
    print(f"{args.out}: {len(vignettes)} cases; fields agreed {agreed}, adjudicated {adjudicated}")


if __name__ == "__main__":
    main()
