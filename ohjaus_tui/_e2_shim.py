"""TEMPORARY (helper E2): stands in for E1's engine API until branch e1 is merged; deleted then."""
from __future__ import annotations

try:
    from .domain.protocols import visible_questions  # noqa: F401
except ImportError:
    def visible_questions(protocol, answers):
        shown, ids = [], set()
        for q in protocol.questions:
            parent = getattr(q, "show_if", None)
            if parent is None or (parent in ids and answers.get(parent) is True):
                shown.append(q)
                ids.add(q.id)
        return shown

try:
    from .domain.protocol_finder import find_protocols  # noqa: F401
except ImportError:
    def find_protocols(protocols, text):
        words = [w for w in text.casefold().split() if len(w) >= 3]
        if not words:
            return []
        hits = []
        for p in protocols:
            keys = [w.casefold() for t in p.titles.values() for w in t.split()]
            for ws in getattr(p, "keywords", {}).values():
                keys.extend(w.casefold() for w in ws)
            if any(k.startswith(w) or w.startswith(k) for w in words for k in keys if len(k) >= 3):
                hits.append(p)
        return hits
