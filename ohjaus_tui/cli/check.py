"""`ohjaus check`: a region's data folder checked, its protocols' status listed, its case
vignettes run."""

from __future__ import annotations

import argparse

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _


def missing_protocols(root, present: list[str], accepted: list[str]) -> list[str]:
    """The shipped protocols the folder lacks that the region accepts leaving out; raises
    DataFileError (one line, exit 2) for any it lacks without saying so. Why a failure and not
    a warning: a protocol lost in an editor's copy goes unseen (only the count changes), and
    the nurses then have no questions for that complaint; a region that means it names the
    protocols once, in its own check script, where the decision can be read."""
    from ohjaus_core.data_dir import shipped_protocol_ids
    from ohjaus_core.domain.errors import DataFileError

    shipped = shipped_protocol_ids()
    accepted = [i.strip() for item in accepted for i in item.split(",") if i.strip()]
    unknown = [i for i in accepted if i not in shipped]
    if unknown:
        raise DomainError(_("--accept-missing: not a shipped protocol: {ids} (the shipped ones: {known})").format(
            ids=", ".join(unknown), known=", ".join(shipped)))
    lacking = [i for i in shipped if i not in present]
    refused = [i for i in lacking if i not in accepted]
    if refused:
        raise DataFileError(root / "protocols", None, _(
            "lacks {n} of the shipped protocols: {ids}; if the region means it, check with "
            "--accept-missing {ids_arg}"
        ).format(n=len(refused), ids=", ".join(refused), ids_arg=",".join(refused)))
    return lacking


def run_check(args: argparse.Namespace) -> int:
    """Validate a data folder a region has edited; exit 0, or 2 with file:line: reason.

    Also lists each protocol's approval status, those past their review date and question texts
    that look compound (warnings for a reviewer). With --questions, lists every finding id.
    With --vignettes, runs the case vignettes and exits 1 when an emergency would be
    under-triaged."""
    from ..context import load_shipped, shipped_data_dir
    from ohjaus_core.domain.clock import now
    from ohjaus_core.domain.protocols.model import NURSE_CONCERN
    from ohjaus_core.domain.protocols.review import SHARED, compound_questions, findings
    from ohjaus_core.domain.social_vignettes import (
        SOCIAL_PROTOCOL,
        is_social_file,
        load_social_vignettes,
        run_social,
        social_report,
        with_reference,
    )
    from ohjaus_core.domain.vignettes import load_vignettes, report, run_vignettes

    root = args.data or shipped_data_dir()
    if not root.is_dir():
        raise DomainError(_("No data folder at {path}").format(path=root))
    shipped = load_shipped(root)
    rules = shipped.region
    missing = missing_protocols(root, [p.id for p in shipped.protocols], getattr(args, "accept_missing", None) or [])
    print(_("{path}: {protocols} protocols, {services} services, region {region}: OK").format(
        path=root, protocols=len(shipped.protocols), services=len(shipped.catalogue),
        region=rules.display_name,
    ))
    if missing:
        print(_("Left out on purpose (--accept-missing): {n} of the shipped protocols: {ids}").format(
            n=len(missing), ids=", ".join(missing)))
    if args.questions:
        for finding_id, text, asked_by in findings(shipped.protocols):
            where = _("shared: every protocol with the life threats") if asked_by == (SHARED,) else ", ".join(asked_by)
            print(f"{finding_id}\t{text}\t{where}")
        return 0
    today = now().date()
    print(_("Protocols and their status:"))
    for protocol in shipped.protocols:
        governance = protocol.governance
        status = _("approved {on} by {by}").format(
            on=governance.approved_on, by=governance.approved_by
        ) if governance.approved else _("draft, not approved")
        if governance.reviewed_by:  # a region's clinician's review, before or with the approval
            status += "; " + (_("reviewed {on} by {by}").format(on=governance.reviewed_on, by=governance.reviewed_by)
                              if governance.reviewed_on else _("reviewed by {by}").format(by=governance.reviewed_by))
        due = governance.review_due.isoformat() if governance.review_due else "-"
        late = "  " + _("PAST REVIEW DATE") if governance.past_review(today) else ""
        print(f"  {protocol.id:<24} v{protocol.version:<3} {status}; "
              + _("review due {due}").format(due=due) + late)
    overdue = [p.id for p in shipped.protocols if p.governance.past_review(today)]
    if overdue:
        print(_("Past their review date: {ids}").format(ids=", ".join(overdue)))
    compound = compound_questions(shipped.protocols)
    if compound:
        print(_("Review list: {n} question texts look compound (one fact a question); warnings, "
                "not failures:").format(n=len(compound)))
        for protocol_id, question, language in compound:
            print(f"  {protocol_id}: {question.id} ({language}): {question.texts[language]}")
    if args.vignettes is None:
        return 0
    target = args.vignettes
    files = sorted(target.rglob("*.toml")) if target.is_dir() else [target]
    if not files or not all(path.is_file() for path in files):
        raise DomainError(_("No vignette files at {path}").format(path=target))
    social_set = all(is_social_file(path) for path in files)
    if getattr(args, "reference", None) and not social_set:
        raise DomainError(_("--reference measures social vignettes only; {path} holds others").format(path=target))
    if social_set:
        # The social form (issue 16): urgency, segment, duties and referrals; a missed duty fails.
        vignettes = [v for path in files for v in load_social_vignettes(path)]
        if getattr(args, "reference", None):
            vignettes, covered = with_reference(vignettes, args.reference)
            print(_("Against the reference labels: {n} of {total} cases (urgency and segment; "
                    "duties and referrals the writers')").format(n=covered, total=len(vignettes)))
        social = run_social(vignettes, shipped.protocol(SOCIAL_PROTOCOL), shipped.catalogue)
        print(social_report(social, list_misses=not getattr(args, "aggregate", False)))
        return 1 if any(o.missed_duties for o in social) else 0
    vignettes = [v for path in files for v in load_vignettes(path, shipped.protocols)]
    outcomes = run_vignettes(vignettes, shipped.protocols)
    # beside each part: what the protocol questions alone do, the nurse's concern taken out
    without = run_vignettes(vignettes, shipped.protocols, frozenset({NURSE_CONCERN}))
    print(report(outcomes, target if target.is_dir() else None, without))
    under = [o for o in outcomes if o.vignette.expected.value == "emergency" and o.under_triaged]
    return 1 if under else 0
