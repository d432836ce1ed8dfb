"""Clients by name, the first `limit` in name order, read from the `client_name` index
(migration 10, issue 18) without sorting every match.

The index holds one row per word of a client's name: (word, last name, first name, client
id), in that order. Under one word the rows are already in name order, so the first `limit`
of a word are the start of its range. A typed prefix covers several words ("kor": korhonen,
korpela, ...): each word's first rows are read, at most `limit`, the results merged, and
once `limit` are held only rows before the last of them are asked for. The cost grows with
the number of distinct words the prefix covers, not with the number of clients it matches.
"""

from __future__ import annotations

from ohjaus_core.domain.name_search import name_words

_AFTER = chr(0x10FFFF)  # past every word that begins with a given prefix

# The distinct words that begin with a prefix, one index seek each.
_WORDS = """
WITH RECURSIVE found(word) AS (
    SELECT (SELECT word FROM client_name WHERE word >= ?1 AND word < ?2 ORDER BY word LIMIT 1)
    UNION ALL
    SELECT (SELECT word FROM client_name WHERE word > found.word AND word < ?2 ORDER BY word LIMIT 1)
    FROM found WHERE found.word IS NOT NULL
)
SELECT word FROM found WHERE word IS NOT NULL
"""

# Another term of the query must begin some word of the same client's name.
_ALSO = (
    " AND EXISTS (SELECT 1 FROM client_name AS other WHERE other.client_id = n.client_id"
    " AND other.word >= ? AND other.word < ?)"
)


def find_by_name(connection, query: str, limit: int) -> list[str]:
    """Ids of the first `limit` clients in name order (last name, first name) every term of
    whose query begins a word of their name. `connection` is the store's DB-API connection."""
    terms = name_words(query)
    if not terms or limit <= 0:
        return []
    # The longest term has the fewest words under it; the others filter its rows.
    lead = max(terms, key=len)
    others = list(terms)
    others.remove(lead)
    also = "".join(_ALSO for _ in others)
    also_args = [bound for term in others for bound in (term, term + _AFTER)]
    first = (
        "SELECT last_name, first_name, client_id FROM client_name AS n WHERE word = ?"
        f"{also} ORDER BY last_name, first_name, client_id LIMIT ?"
    )
    before = (
        "SELECT last_name, first_name, client_id FROM client_name AS n WHERE word = ?"
        " AND (last_name, first_name, client_id) < (?, ?, ?)"
        f"{also} ORDER BY last_name, first_name, client_id LIMIT ?"
    )
    cursor = connection.cursor()
    try:
        words = [row[0] for row in cursor.execute(_WORDS, (lead, lead + _AFTER))]
        held: set[tuple[str, str, str]] = set()
        best: list[tuple[str, str, str]] = []
        for word in words:
            if len(best) < limit:
                rows = cursor.execute(first, (word, *also_args, limit)).fetchall()
            else:
                rows = cursor.execute(before, (word, *best[-1], *also_args, limit)).fetchall()
            if rows:
                held.update(rows)
                best = sorted(held)[:limit]
                held = set(best)
    finally:
        cursor.close()
    return [client_id for _last, _first, client_id in best]
