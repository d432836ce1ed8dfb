"""The reports' queries and their daily summary (report_day, report_high_need).

Why a summary and not only indexes: a year of a large unit is 3,000,000 contacts, and no
index makes SQLite join and group that many rows in well under a second. The summary holds
the tallies of domain/reports.py per local day and unit (about a hundred rows a day and
unit), so a report reads days, not contacts.

How it stays true: a trigger (migration 5) queues every contact that becomes signed, on any
path (a signature here, a contact pulled by sync). Before a report is read, `fold` counts
the queued contacts' days again from the contacts themselves - and the days of the same
client's contacts in the 7 days before, whose "resolved at the first contact" a new contact
changes. Computing a day again is idempotent, so a contact signed while a fold runs is
simply folded the next time. A signed correction has the time of the version it corrects,
so computing its day again drops the old version.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from ohjaus_core.domain.clock import HELSINKI, local
from ohjaus_core.domain.deadlines.rules import RegionRules
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.reports import (
    CONTACTS,
    FCR_CALLBACK,
    FCR_ELIGIBLE,
    FCR_OWED,
    FCR_RESOLVED,
    FCR_WINDOW_DAYS,
    CallbackFact,
    ContactFact,
    Report,
    TALLY_RULES,
    T3Row,
    build_report,
    contact_tallies,
    fcr_last_day,
    referral_status,
)
from ohjaus_core.i18n import _, localized

# Beyond this many queued contacts (after an upgrade, a bulk load) every day is counted again.
REBUILD_ABOVE = 20_000
CHUNK_DAYS = 7
TALLY_RULES_KEY = "report_tally_rules"  # the setting: the TALLY_RULES the summary was counted by

_FACTS = f"""
SELECT c.started_at, c.signed_at, c.unit_id, c.channel, c.sector, c.client_id,
       s.segment, s.high_need, o.kind, o.service_code, sl.starts_at, o.care_deadline,
       a.urgency, c.service_area, cl.birth_date,
       EXISTS (SELECT 1 FROM follow_up f WHERE f.contact_id = c.id AND f.kind = 'callback'),
       c.client_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM contact n
           WHERE n.client_id = c.client_id AND n.status = 'signed'
             AND n.started_at > c.started_at
             AND julianday(n.started_at) <= julianday(c.started_at) + {FCR_WINDOW_DAYS}),
       o.referrals, o.duties_made,
       (SELECT group_concat(f.kind) FROM follow_up f WHERE f.contact_id = c.id)
FROM contact c
LEFT JOIN assessment a ON a.contact_id = c.id
LEFT JOIN client cl ON cl.id = c.client_id
LEFT JOIN segment s ON s.contact_id = c.id
LEFT JOIN outcome o ON o.contact_id = c.id
LEFT JOIN slot sl ON sl.id = o.slot_id
WHERE c.status = 'signed' AND c.started_at >= ? AND c.started_at < ?
  AND NOT EXISTS (SELECT 1 FROM contact v WHERE v.supersedes_id = c.id AND v.status = 'signed')
"""


def _stored(moment: datetime) -> str:
    """A moment as the store writes it: naive UTC text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _day_start(day: date) -> str:
    return _stored(datetime.combine(day, time(0), tzinfo=HELSINKI))


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of at most CHUNK_DAYS consecutive days: (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < CHUNK_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _items(text: str | None) -> list[dict]:
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _referral_codes(text: str | None) -> tuple[str, ...]:
    """The destinations of a contact's referrals (issue 16: several per contact)."""
    return tuple(item["service_code"] for item in _items(text) if item.get("service_code"))


def _referral_statuses(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple(
        (item["service_code"], referral_status(str(item.get("handover", "")), bool(item.get("consent")), str(item.get("legal_basis", ""))))
        for item in _items(text) if item.get("service_code")
    )


def _duties_made(text: str | None) -> tuple[str, ...]:
    return tuple(str(item["duty"]) for item in _items(text) if item.get("duty"))


def _facts(connection, first: date, last: date, unit_id: str | None = None) -> list[ContactFact]:
    bounds = (_day_start(first), _day_start(last + timedelta(days=1)))
    if unit_id is None:
        rows = connection.exec_driver_sql(_FACTS, bounds).fetchall()
    else:
        rows = connection.exec_driver_sql(_FACTS + " AND c.unit_id = ?", (*bounds, unit_id)).fetchall()
    return [
        ContactFact(
            started_at=_moment(row[0]),
            signed_at=_moment(row[1]),
            unit_id=row[2],
            channel=row[3],
            sector=row[4],
            client_id=row[5],
            segment=row[6],
            high_need=bool(row[7]),
            outcome=row[8],
            service_code=row[9],
            slot_starts_at=_moment(row[10]),
            care_deadline=date.fromisoformat(row[11]) if row[11] else None,
            urgency=row[12],
            service_area=row[13],
            birth_date=date.fromisoformat(row[14]) if row[14] else None,
            callback=bool(row[15]),
            repeated=bool(row[16]),
            referral_codes=_referral_codes(row[17]),
            referral_statuses=_referral_statuses(row[17]),
            duties_made=_duties_made(row[18]),
            follow_ups=tuple(row[19].split(",")) if row[19] else (),
        )
        for row in rows
    ]


def _count_days(connection, rules: RegionRules, first: date, last: date, unit_id: str | None = None) -> None:
    """Count the days first..last (of one unit, or of all) again from their contacts, inside
    the caller's transaction."""
    tallies: dict[tuple[str, str], Counter] = defaultdict(Counter)
    high_need: set[tuple[str, str, str]] = set()
    for fact in _facts(connection, first, last, unit_id):
        day = fact.day.isoformat()
        tallies[(day, fact.unit_id)].update(contact_tallies(fact, rules))
        if fact.high_need and fact.client_id:
            high_need.add((day, fact.unit_id, fact.client_id))
    where, bounds = "day BETWEEN ? AND ?", (first.isoformat(), last.isoformat())
    if unit_id is not None:
        where, bounds = where + " AND unit_id = ?", (*bounds, unit_id)
    connection.exec_driver_sql(f"DELETE FROM report_day WHERE {where}", bounds)
    connection.exec_driver_sql(f"DELETE FROM report_high_need WHERE {where}", bounds)
    rows = [
        (day, unit, figure, key, n)
        for (day, unit), tally in tallies.items()
        for (figure, key), n in tally.items()
        if n
    ]
    if rows:
        connection.exec_driver_sql(
            "INSERT INTO report_day (day, unit_id, figure, key, count) VALUES (?, ?, ?, ?, ?)", rows
        )
    if high_need:
        connection.exec_driver_sql(
            "INSERT INTO report_high_need (day, unit_id, client_id) VALUES (?, ?, ?)", list(high_need)
        )


def rebuild(store, rules: RegionRules) -> int:
    """Count every day again (after a bulk load, or when the region's limits change).
    Returns the number of days counted."""
    with store.engine.connect() as connection:
        span = connection.exec_driver_sql(
            "SELECT min(started_at), max(started_at) FROM contact WHERE status = 'signed'"
        ).one()
    if span[0] is None:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM report_day")
            connection.exec_driver_sql("DELETE FROM report_high_need")
            connection.exec_driver_sql("DELETE FROM report_queue")
        store.set_setting(TALLY_RULES_KEY, TALLY_RULES)
        return 0
    first, last = local(_moment(span[0])).date(), local(_moment(span[1])).date()
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM report_queue")
        connection.exec_driver_sql("DELETE FROM report_day")
        connection.exec_driver_sql("DELETE FROM report_high_need")
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=CHUNK_DAYS - 1))
        with store.engine.begin() as connection:
            _count_days(connection, rules, day, end)
        day = end + timedelta(days=1)
    # Written last: a rebuild cut short is done again from the start.
    store.set_setting(TALLY_RULES_KEY, TALLY_RULES)
    return (last - first).days + 1


def fold(store, rules: RegionRules) -> int:
    """Count the days of the queued contacts again; returns how many contacts were folded.
    Every day is counted again when the summary was counted by other rules (an upgrade that
    changed a definition, such as what "resolved at the first contact" is)."""
    with store.engine.connect() as connection:
        queued = connection.exec_driver_sql("SELECT count(*) FROM report_queue").scalar_one()
    if store.setting(TALLY_RULES_KEY) != TALLY_RULES:
        rebuild(store, rules)
        return queued
    if queued == 0:
        return 0
    if queued > REBUILD_ABOVE:
        rebuild(store, rules)
        return queued
    with store.engine.connect() as connection:
        # CROSS JOIN keeps the queue (a few rows) the outer loop: with a plain JOIN SQLite
        # scanned the 3,000,000 contacts and looked each up in the queue (2.3 s).
        rows = connection.exec_driver_sql(
            "SELECT q.contact_id, c.started_at, c.client_id, c.unit_id, p.started_at, p.client_id, p.unit_id "
            "FROM report_queue q CROSS JOIN contact c ON c.id = q.contact_id "
            "LEFT JOIN contact p ON p.id = c.supersedes_id"
        ).fetchall()
        # Only the (day, unit) pairs a contact touches are counted again.
        days: dict[str, set[date]] = defaultdict(set)
        for _id, *versions in rows:
            for moment, client_id, unit_id in (versions[:3], versions[3:]):
                if moment is None:
                    continue
                days[unit_id].add(local(_moment(moment)).date())
                if client_id is None:
                    continue
                # A new contact makes the client's contacts of the 7 days before it "not
                # resolved at the first contact": their days are counted again too.
                since = _stored(_moment(moment) - timedelta(days=FCR_WINDOW_DAYS))
                for earlier, earlier_unit in connection.exec_driver_sql(
                    "SELECT started_at, unit_id FROM contact WHERE client_id = ? AND status = 'signed' "
                    "AND started_at >= ? AND started_at < ?",
                    (client_id, since, moment),
                ):
                    days[earlier_unit].add(local(_moment(earlier)).date())
    ids = [(row[0],) for row in rows]
    with store.engine.begin() as connection:
        for unit_id, unit_days in days.items():
            for first, last in _runs(unit_days):
                _count_days(connection, rules, first, last, unit_id)
        connection.exec_driver_sql("DELETE FROM report_queue WHERE contact_id = ?", ids)
    return len(ids)


def unit_id_of(store, code: str) -> str:
    with store.engine.connect() as connection:
        row = connection.exec_driver_sql("SELECT id FROM unit WHERE code = ?", (code,)).first()
        if row is None:
            codes = [r[0] for r in connection.exec_driver_sql("SELECT code FROM unit ORDER BY code")]
            raise DomainError(
                _("Unknown unit {code}; this device knows {codes}.").format(
                    code=code, codes=", ".join(codes) or "-"
                )
            )
        return row[0]


def make_report(
    store, rules: RegionRules, start: date, end: date, now: datetime, unit_code: str | None = None
) -> Report:
    """The report of a range of local days (both included), of one unit or of all."""
    if end < start:
        raise DomainError(_("The range ends before it begins."))
    unit_id = unit_id_of(store, unit_code) if unit_code else None
    fold(store, rules)
    where, params = "day BETWEEN ? AND ?", [start.isoformat(), end.isoformat()]
    if unit_id:
        where += " AND unit_id = ?"
        params.append(unit_id)
    today = local(now).date()
    fcr_end = min(end, fcr_last_day(today))
    with store.engine.connect() as connection:
        totals = {
            (figure, key): n
            for figure, key, n in connection.exec_driver_sql(
                f"SELECT figure, key, sum(count) FROM report_day WHERE {where} GROUP BY figure, key",
                tuple(params),
            )
        }
        fcr_totals = {}
        if fcr_end >= start:
            fcr_params = [start.isoformat(), fcr_end.isoformat(), *params[2:]]
            fcr_totals = {
                (figure, ""): n
                for figure, n in connection.exec_driver_sql(
                    f"SELECT figure, sum(count) FROM report_day WHERE {where} "
                    f"AND figure IN ('{FCR_ELIGIBLE}', '{FCR_RESOLVED}', '{FCR_CALLBACK}', '{FCR_OWED}') GROUP BY figure",
                    tuple(fcr_params),
                )
            }
        by_day = {
            date.fromisoformat(day): n
            for day, n in connection.exec_driver_sql(
                f"SELECT day, sum(count) FROM report_day WHERE {where} AND figure = '{CONTACTS}' GROUP BY day",
                tuple(params),
            )
        }
        high_need = connection.exec_driver_sql(
            f"SELECT count(DISTINCT client_id) FROM report_high_need WHERE {where}", tuple(params)
        ).scalar_one()
        t3 = _t3(connection, now, unit_id)
        overdue = _overdue(connection, today, unit_id)
        callbacks = _callbacks(connection, start, end, unit_id)
    return build_report(
        start=start,
        end=end,
        unit_code=unit_code,
        made_at=now,
        rules=rules,
        totals=totals,
        fcr_totals=fcr_totals,
        by_day=by_day,
        high_need_clients=high_need,
        t3=t3,
        overdue=overdue,
        callbacks=callbacks,
    )


def _callbacks(connection, start: date, end: date, unit_id: str | None) -> list[CallbackFact]:
    """The phone queue's callback requests of the range (by the local day they were made), not cancelled,
    with their first call without an answer and the start of the signed contact that answered."""
    sql = (
        "SELECT cb.queue, cb.requested_at, cb.first_attempt_at, c.started_at FROM callback cb "
        "LEFT JOIN contact c ON c.id = cb.contact_id AND c.status = 'signed' "
        "WHERE cb.requested_at >= ? AND cb.requested_at < ? AND cb.status != 'cancelled'"
        " AND cb.origin = 'phone'"  # (an e-service's contact request is not the phone queue's)
    )
    params = [_day_start(start), _day_start(end + timedelta(days=1))]
    if unit_id:
        sql += " AND cb.unit_id = ?"
        params.append(unit_id)
    facts = []
    for queue, requested, attempted, contact in connection.exec_driver_sql(sql, tuple(params)):
        contact_at = _moment(contact)
        calls = [moment for moment in (_moment(attempted), contact_at) if moment is not None]
        facts.append(CallbackFact(queue, _moment(requested), min(calls) if calls else None, contact_at))
    return facts


def _t3(connection, now: datetime, unit_id: str | None) -> list[T3Row]:
    """The third next free slot of every unit and profession (free ones from now on)."""
    unit_filter = "AND p.unit_id = ?" if unit_id else ""
    params: tuple = (_stored(now), unit_id) if unit_id else (_stored(now),)
    rows = connection.exec_driver_sql(
        f"""
        SELECT u.code, p.profession, min(p.profession_name), count(f.starts_at),
               max(CASE WHEN f.n = 3 THEN f.starts_at END)
        FROM professional p JOIN unit u ON u.id = p.unit_id
        LEFT JOIN (
            SELECT sl.professional_id, sl.unit_id, sl.starts_at,
                   row_number() OVER (PARTITION BY sl.unit_id, pr.profession ORDER BY sl.starts_at) AS n
            FROM slot sl JOIN professional pr ON pr.id = sl.professional_id
            WHERE sl.booked_contact_id IS NULL AND sl.taken_elsewhere = 0 AND sl.starts_at >= ?
        ) f ON f.professional_id = p.id
        WHERE 1 = 1 {unit_filter}
        GROUP BY u.code, p.profession
        ORDER BY u.code, p.profession
        """,
        params,
    ).fetchall()
    result = []
    for code, profession, names, free, third in rows:
        days = (_moment(third) - now).total_seconds() / 86400 if third else None
        result.append(T3Row(code, profession, localized(json.loads(names)), free, days))
    return result


def _overdue(connection, today: date, unit_id: str | None) -> dict[str, int]:
    """Open follow-ups due before today, by the unit of the worker they are assigned to."""
    unit_filter = "AND w.unit_id = ?" if unit_id else ""
    params: tuple = (today.isoformat(), unit_id) if unit_id else (today.isoformat(),)
    return dict(
        connection.exec_driver_sql(
            f"""
            SELECT u.code, count(*) FROM follow_up f
            JOIN worker w ON w.id = f.assignee_id JOIN unit u ON u.id = w.unit_id
            WHERE f.status = 'open' AND f.due < ? {unit_filter}
            GROUP BY u.code ORDER BY u.code
            """,
            params,
        ).fetchall()
    )
