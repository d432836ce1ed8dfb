"""How often blind readers agree with each other and with the social protocol (issue 16).

A social part's writer decided each case's expected outcome; other helpers, who saw only the
story, age, caller and worry (never the writer's answer, the protocol or each other's work),
decided it again (tests/social_readers/). This prints counts only, never a case, so
it can be run on a part kept aside:

    .venv/bin/python scripts/reader_agreement.py tests/social_vignettes/dev/social_dev8.toml \\
        --readers tests/social_readers/sh7_reader_a.toml

Pairs: the writer, each reader and the protocol, on urgency and segment (exact), the duty set,
and the first referral; then the protocol on the cases where every reader and the writer agree,
and against the majority of them.
"""

from __future__ import annotations

import argparse
import tomllib
from collections import Counter
from itertools import combinations
from pathlib import Path

from ohjaus_core.domain.social_vignettes import (
    DUTIES, REFERRAL_CODES, SEGMENTS, in_writers_words, load_social_vignettes, run_social,
)
from ohjaus_tui.context import load_shipped


def destinations(words: list[str]) -> set[str]:
    return set().union(*(REFERRAL_CODES.get(w, {w}) for w in words)) if words else set()


SHORT = {code: word for word, code in SEGMENTS.items()}  # clear_need -> clear


def share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.0f} %)" if total else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", type=Path)
    parser.add_argument("--readers", nargs="+", type=Path, required=True)
    args = parser.parse_args()
    vignettes = [v for part in args.parts for v in load_social_vignettes(part)]
    readers = {path.stem: {label["id"]: label for label in tomllib.loads(path.read_text("utf-8"))["label"]}
               for path in args.readers}
    vignettes = [v for v in vignettes if all(v.id in labels for labels in readers.values())]
    shipped = load_shipped()
    outcomes = run_social(vignettes, shipped.protocol("social_service_need"), shipped.catalogue)
    print(f"cases read by the writer and every reader: {len(vignettes)}")

    answers: dict[str, dict[str, list[str]]] = {"urgency": {}, "segment": {}}
    answers["urgency"]["writer"] = [v.urgency.value for v in vignettes]
    answers["segment"]["writer"] = [SEGMENTS[v.segment] for v in vignettes]
    for name, labels in readers.items():
        answers["urgency"][name] = [labels[v.id]["expected_urgency"] for v in vignettes]
        answers["segment"][name] = [SEGMENTS[labels[v.id]["expected_segment"]] for v in vignettes]
    people = list(answers["urgency"])
    answers["segment"]["protocol"] = [o.segment for o in outcomes]
    # The protocol's urgency in each person's words: advice and guidance (self_care) is their
    # non_urgent where they expected the advice path (SocialOutcome.urgency_word).
    word_for = {p: [in_writers_words(o.urgency, SHORT[answers["segment"][p][i]]) for i, o in enumerate(outcomes)]
                for p in people}
    majority_segment = [Counter(answers["segment"][p][i] for p in people).most_common(1)[0][0] for i in range(len(outcomes))]
    answers["urgency"]["protocol"] = [in_writers_words(o.urgency, SHORT[majority_segment[i]]) for i, o in enumerate(outcomes)]

    n = len(vignettes)
    for field, by_whom in answers.items():
        def agree(a: str, b: str) -> int:
            if field == "urgency" and "protocol" in (a, b):
                person = b if a == "protocol" else a
                return sum(x == y for x, y in zip(by_whom[person], word_for[person]))
            return sum(x == y for x, y in zip(by_whom[a], by_whom[b]))

        pairs = [f"{a}-{b} {share(agree(a, b), n)}" for a, b in combinations(list(by_whom), 2)]
        print(f"{field}: " + ", ".join(pairs))
        unanimous = right_unanimous = majority = right_majority = 0
        for i in range(n):
            top, votes = Counter(by_whom[p][i] for p in people).most_common(1)[0]
            right = by_whom["protocol"][i] == top
            if votes == len(people):
                unanimous += 1
                right_unanimous += right
            if votes * 2 > len(people):
                majority += 1
                right_majority += right
        print(f"  writer and readers all agree: {unanimous} cases, the protocol with them {share(right_unanimous, unanimous)}; "
              f"a majority: {majority} cases, the protocol with it {share(right_majority, majority)}")

    for name, labels in readers.items():
        same_duties = sum(set(v.duties) == set(labels[v.id]["duties"]) for v in vignettes)
        expected = [(o, d) for o in outcomes for d in labels[o.vignette.id]["duties"]]
        found = sum(DUTIES[d] in o.duties for o, d in expected)
        first = [(o, labels[o.vignette.id]["referrals"]) for o in outcomes if labels[o.vignette.id]["referrals"]]
        fitting = sum(o.first_service in destinations(refs) for o, refs in first)
        writer_fit = sum(bool(destinations(refs[:1]) & destinations(list(o.vignette.referrals))) for o, refs in first)
        print(f"{name}: the same duty set as the writer {share(same_duties, n)}; the protocol finds {share(found, len(expected))} "
              f"of the reader's duties; the protocol's first referral among the reader's {share(fitting, len(first))}; "
              f"the reader's first among the writer's {share(writer_fit, len(first))}")


if __name__ == "__main__":
    main()
