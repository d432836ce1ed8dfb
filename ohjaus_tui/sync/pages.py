"""A pull page read record by record: a change this version cannot read does not make the
page unreadable (TRUST.md: one bad record never stalls anyone).

The whole page is read as PullResponse first (the usual case, at no extra cost). When that
fails, its changes are read one by one and those that do not read (a record type or shape a
newer central API has, data that is not a JSON object) are returned as UnreadableChange, to
be kept aside with the page. A body that is not JSON at all (one record's stored text is
broken) is asked for again one change at a time up to that change, which is then taken apart
by the page's fixed framing (hot_path.page), its text kept as it came.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from ohjaus_core.protocol import PulledChange, PullResponse, UnreadableChange


@dataclass
class Page:
    changes: list[PulledChange]
    last_seq: int
    more: bool
    unreadable: list[UnreadableChange] = field(default_factory=list)


class PageUnreadable(ValueError):
    """Not a pull page at all (another server's answer, a proxy's page)."""


# One change alone in a page, as the central API frames it: {"changes":[{"seq":S,"type":T,
# "record_id":R,"data":...}],"last_seq":S,"more":B}. The data between is taken as text.
_STRING = r'"(?:[^"\\]|\\.)*"'
_ALONE = re.compile(
    rb'^\{"changes":\[\{"seq":(\d+),"type":(' + _STRING.encode() + rb'),"record_id":(' + _STRING.encode()
    + rb'),"data":(.*)\}\],"last_seq":(\d+),"more":(true|false)\}$',
    re.DOTALL,
)


def read_page(content: bytes) -> Page | None:
    """The page in `content`; None when the body is not JSON (see read_alone); raises
    PageUnreadable when it is JSON but no pull page."""
    try:
        whole = PullResponse.model_validate_json(content)
        return Page(whole.changes, whole.last_seq, whole.more)
    except ValidationError:
        pass
    try:
        body = json.loads(content)
    except ValueError:
        return None
    if not (
        isinstance(body, dict) and isinstance(body.get("changes"), list)
        and type(body.get("last_seq")) is int and type(body.get("more")) is bool
    ):
        raise PageUnreadable("not a pull page")
    page = Page([], body["last_seq"], body["more"])
    for item in body["changes"]:
        try:
            page.changes.append(PulledChange.model_validate(item))
        except ValidationError as error:
            page.unreadable.append(_unreadable(item, error))
    return page


def _unreadable(item, error: ValidationError) -> UnreadableChange:
    """A change that did not read, if the page still says which one it is."""
    if not (isinstance(item, dict) and type(item.get("seq")) is int and isinstance(item.get("record_id"), str)):
        raise PageUnreadable("a change without its sequence or id")
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()[:3])
    return UnreadableChange(
        item["seq"], str(item.get("type", ""))[:20], item["record_id"],
        json.dumps(item.get("data"), ensure_ascii=False, sort_keys=True), detail,
    )


def read_alone(content: bytes) -> Page:
    """A page of one change whose body is not JSON: the change by the page's framing, its
    data kept as the text it is. Raises PageUnreadable when the framing is not there."""
    page = read_page(content)
    if page is not None:
        return page
    found = _ALONE.match(content.strip())
    if found is None:
        raise PageUnreadable("not JSON")
    seq, kind, record_id, data, last_seq, more = found.groups()
    return Page(
        [], int(last_seq), more == b"true",
        [UnreadableChange(
            int(seq), json.loads(kind)[:20], json.loads(record_id), data.decode("utf-8", "replace"), "data: json_invalid",
        )],
    )


def one_at_a_time(fetch: Callable[[int, int], bytes], after: int, limit: int) -> Page:
    """Up to `limit` changes after `after`, asked for one a page (`fetch(after, 1)`), up to
    and with the first whose body is not JSON: one page of them all."""
    page = Page([], after, True)
    while page.more and len(page.changes) + len(page.unreadable) < limit:
        single = read_page(body := fetch(page.last_seq, 1))
        broken = single is None
        single = read_alone(body) if broken else single
        page.changes += single.changes
        page.unreadable += single.unreadable
        page.last_seq, page.more = single.last_seq, single.more
        if broken:
            break
    return page
