"""The fact views on the known data set: registrations, alerts, partners, ledger, dead letters."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from projections.chdb_warehouse import ChdbWarehouse
from projections.rows import Record
from schemas.events import Event, PartnerOffboarded, PartnerTerritoryChanged
from schemas.outputs import DeadLetter
from tests.unit.projections import expected


def test_registration_status_close_time_and_days_to_close(
    projected: ChdbWarehouse, dataset: list[Record]
) -> None:
    outcomes = expected.registration_outcomes(dataset)
    rows = projected.query(
        "SELECT registration_id, partner_id, status, closed_at, days_to_close FROM registrations"
    )
    assert {row[0] for row in rows.rows} == set(outcomes)
    for registration_id, partner_id, status, closed_at, days in rows.rows:
        outcome = outcomes[str(registration_id)]
        assert (partner_id, status, closed_at) == (outcome.partner_id, outcome.status, outcome.closed_at)
        if outcome.days_to_close is None:
            assert days is None
        else:
            assert abs(float(str(days)) - outcome.days_to_close) < 1e-9
    assert set(Counter(o.status for o in outcomes.values())) == {
        "WON",
        "EXPIRED",
        "REJECTED",
        "WITHDRAWN",
        "PENDING",
        "APPROVED",
    }


def test_alerts_show_the_latest_revision_and_its_lifecycle(
    projected: ChdbWarehouse, dataset: list[Record]
) -> None:
    latest = expected.latest_alerts(dataset)
    status = expected.alert_status(dataset)
    rows = projected.query("SELECT alert_id, revision, revisions, status, resolved_by FROM alerts").rows
    assert len(rows) == len(latest)
    for alert_id, revision, revisions, state, resolved_by in rows:
        assert revision == revisions == latest[str(alert_id)].revision
        assert state == status[str(alert_id)]
        assert (resolved_by == "cm@vendor") == (state == "RESOLVED")
    assert set(status.values()) == {"OPEN", "ACKNOWLEDGED", "RESOLVED"}


def test_partner_dimension_holds_the_current_attributes(
    projected: ChdbWarehouse, dataset: list[Record]
) -> None:
    partners = {row["partner_id"]: row for row in projected.query("SELECT * FROM partners").as_dicts()}
    moved = next(r for r in dataset if isinstance(r, PartnerTerritoryChanged))
    gone = next(r for r in dataset if isinstance(r, PartnerOffboarded))
    assert partners[moved.partner_id]["territories"] == list(moved.territories)
    assert partners[gone.partner_id]["offboarded"] is True
    assert [p for p, row in partners.items() if row["offboarded"]] == [gone.partner_id]
    tiers = {p: row["tier"] for p, row in partners.items()}
    far_future = max(r.occurred_at for r in dataset if isinstance(r, Event))
    assert tiers == {p: expected.tier_at(dataset, str(p), far_future.replace(year=2100)) for p in partners}


def test_the_ledger_balances_and_partner_balances_fold_the_postings(projected: ChdbWarehouse) -> None:
    assert projected.query("SELECT sum(balance) FROM balances").scalar() == Decimal(0)
    owed = projected.query(
        "SELECT partner_id, sum(outstanding) FROM partner_balances GROUP BY partner_id ORDER BY partner_id"
    ).rows
    folded = projected.query(
        "SELECT partner_id, -sum(amount) FROM ledger_postings WHERE partner_account "
        "GROUP BY partner_id ORDER BY partner_id"
    ).rows
    assert owed == folded and len(owed) == 6


def test_dead_letters_keep_the_original_bytes(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    letters = [r for r in dataset if isinstance(r, DeadLetter)]
    rows = projected.query(
        "SELECT source_offset, original, reason_code FROM dead_letters ORDER BY source_offset"
    )
    assert rows.rows == tuple((r.source_offset, r.original, r.reason_code) for r in letters)


def test_the_business_clock_is_the_latest_event_time(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    latest = max(r.occurred_at for r in dataset if isinstance(r, Event))
    assert projected.query("SELECT business_now FROM business_clock").scalar() == latest
