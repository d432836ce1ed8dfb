"""Lists for people who review protocols and write vignettes: question texts that look
compound, and every finding (question id) with the protocols that ask it."""

from __future__ import annotations

import re

from .model import Protocol, Question

SHARED = "*"  # in `findings`: a shared question, asked in every protocol with the life threats


# Words that join two facts in one question, for a reviewer to look at (one fact a question).
_JOINS = {
    "fi": re.compile(r"\b(ja|tai|sekä)\b", re.IGNORECASE),
    "sv": re.compile(r"\b(och|eller|med)\b", re.IGNORECASE),
    "en": re.compile(r"\b(and|or|with)\b", re.IGNORECASE),
}


def compound_questions(protocols: list[Protocol]) -> list[tuple[str, Question, str]]:
    """Questions whose text joins facts with and/or/with (ja/tai/sekä, och/eller/med):
    (first protocol asking it, question, language), each question once, in protocol order.
    A warning for a reviewer, not an error: "or" often lists the signs of one fact."""
    found: list[tuple[str, Question, str]] = []
    seen: set[str] = set()
    for protocol in protocols:
        for question in protocol.questions:
            if question.id in seen:
                continue
            seen.add(question.id)
            for language, pattern in _JOINS.items():
                text = question.texts.get(language)
                if text and pattern.search(text):
                    found.append((protocol.id, question, language))
                    break
    return found


def findings(protocols: list[Protocol]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every finding (question id), sorted: its English text and the protocols that ask it.
    Vignette writers tag a story's facts with these ids; no urgencies are shown. A shared
    question (life threat, nurse's concern) is asked by SHARED instead of a list."""
    texts: dict[str, str] = {}
    asked: dict[str, list[str]] = {}
    for protocol in protocols:
        for question in protocol.questions:
            texts.setdefault(question.id, question.texts.get("en") or question.texts["fi"])
            if question.life_threat or question.nurse_concern:
                asked[question.id] = [SHARED]
            else:
                asked.setdefault(question.id, []).append(protocol.id)
    return [(finding, texts[finding], tuple(asked[finding])) for finding in sorted(texts)]
