"""The server's checks of a pushed record, a record at a time (`_passes`, issue 18) against the
field by field checks (`_check_field`): never more lenient, and taken for ordinary records."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime

import pytest

from ohjaus_central.batch import prepare
from ohjaus_central.batch.checks import _ID, ANSWERS, Rejected, _check_field, _passes, _plan, validated
from ohjaus_core import records
from ohjaus_core.protocol import MAX_TEXT, Change

SCHEMAS = (
    records.Client, records.Contact, records.Assessment, records.Segment, records.Outcome, records.FollowUp,
    records.MissedAppointment, records.Appointment, records.Consent, records.Callback, records.Merge,
)
UUIDS = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count())


def ordinary(schema: type[records.Record]) -> dict:
    """A record of `schema` whose every field passes the field by field checks."""
    values: dict = {}
    for name, field in schema.model_fields.items():
        kind = field.annotation
        if kind in (bool, bool | None):
            values[name] = False
        elif kind in (int, int | None):
            values[name] = 1
        elif kind in (datetime, datetime | None):
            values[name] = datetime(2026, 12, 5, 10, 30)
        elif kind in (date, date | None):
            values[name] = date(2026, 12, 5)
        else:
            plan = _plan(schema, name)
            if plan is _ID:
                values[name] = next(UUIDS)
            elif plan[2] is not None:
                values[name] = next(iter(plan[2]._value2member_map_))
            elif plan[3] == "json":
                values[name] = '{"q1": true}' if name in ANSWERS else '["a"]'
            elif plan[3] == "referrals" or name == "duties_made":
                values[name] = "[]"
            elif name == "service_language":
                values[name] = "sv"
            else:
                values[name] = "Åsa Öberg-Mäkelä, 3 päivää" + ("\nrivi\tkaksi" if plan[0] else "")
    return values


def field_by_field(schema: type[records.Record], values: dict) -> str | None:
    """What the field by field checks say of a record: the first problem, or None."""
    try:
        for name, value in values.items():
            if value is not None:
                _check_field(schema, name, value)
    except Rejected as rejection:
        return rejection.detail
    return None


TEXTS = [
    "", "a\u202eb", "a\nb", "a\tb", "a\rb", "\x00", "\x7f", "a\u00adb", "a\u200bb", "\ufeff", "e\u0301",
    "e" + "\u0301" * 5, "\u0430", "\u3042", "Åsa", "x" * 200, "ä" * 200, "x" * (MAX_TEXT + 1), "x" * (MAX_TEXT // 2 + 1),
    "[]", "{}", '{"q": true}', '{"q": 1}', '["a"]', '["a", 1]', "[", "not json", "00000000-0000-4000-8000-000000000000",
    "00000000-0000-4000-8000-00000000000G",
    # two ids in one field, as the ids of a record joined for one match would look (issue 18)
    "00000000-0000-4000-8000-000000000000,00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000000,", ",00000000-0000-4000-8000-000000000000",
    "00000000-0000-4000-8000-000000000000\n", "fi", "sv", "fin", "xx", "health", "signed", "phone",
]
INTS = [-1, 0, 2**31 - 1, 2**31]
DATES = [date(1799, 12, 31), date(1800, 1, 1), date(2199, 12, 31), date(2200, 1, 1),
         datetime(1799, 12, 31, 23, 59), datetime(2200, 1, 1)]


def mutations(schema: type[records.Record]):
    base = ordinary(schema)
    for name, value in base.items():
        if isinstance(value, bool):
            continue
        tries = INTS if isinstance(value, int) else DATES if isinstance(value, date) else TEXTS
        for bad in tries:
            yield {**base, name: bad}
    texts = [name for name, value in base.items() if isinstance(value, str)]
    for first, second in itertools.combinations(texts, 2):  # the sum of two texts past MAX_TEXT
        yield {**base, first: "x" * (MAX_TEXT // 2 + 1), second: "ä" * (MAX_TEXT // 2 + 1)}


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_a_whole_record_passes_only_when_every_field_would(schema):
    checked = refused = 0
    for values in mutations(schema):
        try:
            row = schema.model_validate(values)
        except ValueError:
            continue  # pydantic's own refusal, before either check
        expected = field_by_field(schema, row.__dict__)
        if _passes(schema, row.__dict__):
            assert expected is None, (schema.__name__, values)
        checked += 1
        refused += expected is not None
        record_id = values.get("id", "")
        if expected is not None:
            with pytest.raises(Rejected) as rejection:
                validated(schema, values, record_id)
            assert rejection.value.detail == expected  # the same field named, as before
        else:
            assert validated(schema, values, record_id)["id"] == record_id
    assert checked > 50 and refused > 20


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_an_ordinary_record_takes_the_whole_record_path(schema):
    row = schema.model_validate(ordinary(schema))
    assert field_by_field(schema, row.__dict__) is None
    assert _passes(schema, row.__dict__)


# -- what the mutations above do not reach: shapes inside the JSON a text field holds ----------------

DEEP = "[" * 10_000 + "]" * 10_000  # within MAX_TEXT; orjson refuses it, json.loads recursed past Python's limit
REFERRAL = {"service_code": "sosiaalityo", "handover": "client_self", "consent": False, "legal_basis": ""}
DUTY = {"duty": "child_welfare", "receiver": "Lastensuojelu", "receiver_code": "", "made_at": "2026-12-05T10:30:00",
        "method": "phone", "legal_basis": "LsL 25 §", "about": ""}
JSON_SHAPES = {
    "referrals": [
        json.dumps([{**REFERRAL, key: value}])
        for key in REFERRAL for value in ([], {}, [1], {"a": 1}, None, 1.5, True)
    ] + [DEEP, json.dumps([[]]), json.dumps([REFERRAL] * 21)],
    "duties_made": [
        json.dumps([{**DUTY, key: value}])
        for key in DUTY for value in ([], {}, None, 1, True)
    ] + [json.dumps([{**DUTY, "duty": "a\x00"}]), json.dumps([{**DUTY, "made_at": "9999-12-31T23:59:59+14:00"}]),
         DEEP, json.dumps([[]])],
    "json": [DEEP, '{"q": [true]}', '{"q": {"r": true}}', '[["a"]]', '[{"a": "b"}]', '[null]'],
}


def json_mutations(schema: type[records.Record]):
    base = ordinary(schema)
    for name in base:
        plan = _plan(schema, name) if isinstance(base[name], str) else _ID
        kind = "duties_made" if name == "duties_made" else plan[3] if plan is not _ID else None
        for bad in JSON_SHAPES.get(kind, ()):
            yield name, {**base, name: bad}


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_wrong_shapes_inside_a_json_field_are_rejected_naming_it_never_raised(schema):
    """A referral's hand-over as a list or an object (a TypeError: unhashable), brackets nested
    10,000 deep (a RecursionError) were a 500 for the whole push on both databases; each is the
    record's rejection naming the field, by both checks alike."""
    tried = 0
    for name, values in json_mutations(schema):
        row = schema.model_validate(values)
        expected = field_by_field(schema, row.__dict__)
        assert expected is not None and expected.startswith(name), (name, values[name][:80], expected)
        assert not _passes(schema, row.__dict__)
        with pytest.raises(Rejected) as rejection:
            validated(schema, values, values.get("id", ""))
        assert rejection.value.detail == expected
        tried += 1
    if schema in (records.Outcome, records.Assessment, records.Segment):
        assert tried > 5


def test_an_appointments_moves_nested_deep_are_its_rejection():
    values = {**ordinary(records.Appointment), "status": "booked", "sector": "health", "moves": DEEP}
    values["contact_id"] = values["id"]
    change = Change(id=next(UUIDS), type="appointment", record_id=values["id"], data=values)
    prepared = prepare(change)
    assert prepared.error is not None and prepared.error.detail == "moves: not JSON"


def test_an_unknown_field_is_named_with_its_hidden_characters_shown():
    """The name of a field the schema does not have goes into the answer the server stores: a NUL
    in it was a 500 on PostgreSQL (it cannot store one), an escape sequence reached the device."""
    values = {**ordinary(records.Merge), "a\x00b": 1, "\x1b[2J": 2}
    with pytest.raises(Rejected) as rejection:
        validated(records.Merge, values, values["id"])
    detail = rejection.value.detail
    assert "unknown fields" in detail and "\x00" not in detail and "\x1b" not in detail
    assert "a\\x00b" in detail and "\\x1b[2J" in detail
