"""Finding the protocol for what the caller says: a symptom word in Finnish, Swedish or English.

A nurse types a word or two ("sokeri", "kurkkua", "ont i halsen", "allergy"); every protocol
whose keywords or title words match is listed, the best first. A typed word matches a keyword
(or a title word) when one begins with the other and the shorter has at least three letters,
so an inflected form ("kurkkua") finds its base form ("kurkku") and a half-typed word ("aller")
finds the whole one. A Finnish compound ends in its head word, so a typed word that ends in a
keyword of four letters or more, give or take an inflection ending ("kylkikipu", "kylkikipua":
"kipu"), matches it too, at the lowest weight: a compound no protocol names still finds the
protocol of its head word (the general one for "-kipu") instead of nothing. The lay words and synonyms are the protocols' own `keywords`, so a region
adds a word by editing the protocol file.
"""

from __future__ import annotations

import re

from .protocols.model import Protocol

MIN_LETTERS = 3
HEAD_LETTERS = 4  # a compound's head word: at least this long, after at least 3 letters
ENDING_LETTERS = 3  # an inflection ending after the head ("-a", "-ssa", "-lla")
_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    """The words of a text, case-folded, in order, each once."""
    return list(dict.fromkeys(match.group(0).casefold() for match in _WORD.finditer(text)))


# What one typed word scores against one term: an exact word beats a beginning, and a word
# of the protocol's title beats a keyword ("ripuli" is in the title of vomiting and
# diarrhoea but only a keyword of abdominal pain); an exact keyword still beats a title's
# beginning.
EXACT_TITLE, EXACT_KEYWORD, PREFIX_TITLE, PREFIX_KEYWORD, COMPOUND_HEAD = 5, 4, 3, 2, 1
SAME, BEGINNING, HEAD = 2, 1, 3  # how a typed word matched a term (_matches)


def _matches(typed: str, term: str) -> int:
    """SAME for the same word, BEGINNING when one begins with the other (3+ letters), HEAD
    when the typed word is a compound ending in the term (its head), else 0."""
    if typed == term:
        return SAME
    shorter = min(len(typed), len(term))
    if shorter >= MIN_LETTERS and (typed.startswith(term) or term.startswith(typed)):
        return BEGINNING
    if len(term) >= HEAD_LETTERS:
        at = typed.rfind(term)
        if at >= MIN_LETTERS and len(typed) - at - len(term) <= ENDING_LETTERS:
            return HEAD
    return 0


def _terms(protocol: Protocol) -> list[tuple[tuple[str, ...], bool]]:
    """The protocol's keywords (each as its words) and the words of its titles, each with
    True for a title word."""
    terms = [
        (tuple(words(keyword)), False)
        for keywords in protocol.keywords.values()
        for keyword in keywords
    ]
    terms += [((word,), True) for title in protocol.titles.values() for word in words(title)]
    return [(term, title) for term, title in terms if term]


def _weight(match: int, title: bool) -> int:
    if match == SAME:
        return EXACT_TITLE if title else EXACT_KEYWORD
    if match == BEGINNING:
        return PREFIX_TITLE if title else PREFIX_KEYWORD
    if match == HEAD:
        return COMPOUND_HEAD
    return 0


def score(protocol: Protocol, text: str, age: int | None = None) -> int:
    """How well the typed text fits the protocol: each typed word counts its best match once
    (exact title word 5, exact keyword 4, a title word's beginning 3, a keyword's beginning
    2); a keyword of several words counts only when every one of its words matches a typed
    word. The title of a protocol for some ages ("Ihottuma, lapsi") weighs as a keyword
    unless the client's age is known and fits it: a rash of unknown age is a skin problem
    first, a toddler's the child's rash."""
    typed = [word for word in words(text) if len(word) >= MIN_LETTERS]
    best = {word: 0 for word in typed}
    titled = protocol.ages is None or (age is not None and protocol.fits_age(age))
    for term, title in _terms(protocol):
        title = title and titled
        found = [max((_matches(word, part) for word in typed), default=0) for part in term]
        if not all(found):
            continue
        for part in term:
            for word in typed:
                best[word] = max(best[word], _weight(_matches(word, part), title))
    return sum(best.values())


def find_protocols(
    protocols: list[Protocol], text: str, age: int | None = None
) -> list[Protocol]:
    """The protocols that cover the typed words, best first (then in picker order).

    With the client's age in years, a protocol whose `ages` exclude it ("kuume" for a baby
    finds the child's fever before the adult's) is listed last, still findable; an unknown
    age (None) changes nothing. Between two that fit equally well, one written for the
    client's age ("ihottuma" for a toddler: the child's rash) comes before one for all ages."""
    scored = [(score(protocol, text, age), protocol) for protocol in protocols]
    hits = [(value, protocol) for value, protocol in scored if value > 0]

    def rank(hit: tuple[int, Protocol]) -> tuple[bool, int, bool, int, str]:
        value, protocol = hit
        for_this_age = age is not None and protocol.ages is not None and protocol.fits_age(age)
        return (not protocol.fits_age(age), -value, not for_this_age, protocol.order, protocol.id)

    hits.sort(key=rank)
    return [protocol for _value, protocol in hits]
