"""Deterministic builders of partner events and small programs for the ledger tests.

Times are ISO strings (``"2026-01-10"`` or ``"2026-01-10T12:00"``, UTC); event ids are
``e1, e2, ...`` from a per-test counter unless given, so tests can name provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from processors.partner import Output, PartnerState, apply
from processors.programs import Program, ProgramBook, parse_program
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    Allowance,
    AllowanceClaimApproved,
    AllowanceClaimed,
    ClockTicked,
    InputEvent,
    PartnerCertified,
    PartnerOnboarded,
    PartnerTier,
    PartnerType,
    PayoutIssued,
    PayoutReversed,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
)
from schemas.outputs import AccrualForgone, Bucket, ConflictAlert, EntryKind, LedgerEntry, Rejected

PARTNER = "P-1"


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def money(text: str | int) -> Decimal:
    return Decimal(str(text))


def program(rules: list[Mapping[str, object]], **fields: object) -> Program:
    data: dict[str, object] = {
        "program_id": "prog",
        "version": 1,
        "currency": "USD",
        "effective_from": "2026-01-01",
        "eligible_partner_types": ["VAR", "DISTRIBUTOR", "RESELLER"],
        "period": "quarter",
        "close_grace_days": 10,
        "rules": rules,
    }
    data.update(fields)
    return parse_program(data, "test-program")


def book(*programs: Program) -> ProgramBook:
    return ProgramBook(programs)


RETRO_TIERS = [
    {"name": "registered", "from": 0, "rate": "0.02"},
    {"name": "silver", "from": 100000, "rate": "0.03"},
    {"name": "gold", "from": 250000, "rate": "0.04"},
]
MARGINAL_TIERS = [
    {"name": "band-1", "from": 0, "rate": "0.01"},
    {"name": "band-2", "from": 500000, "rate": "0.015"},
    {"name": "band-3", "from": 1000000, "rate": "0.02"},
]


class Events:
    """Event factory with a running id counter."""

    def __init__(self, partner_id: str = PARTNER) -> None:
        self.partner_id = partner_id
        self.n = 0

    def _id(self, event_id: str | None) -> str:
        self.n += 1
        return event_id or f"e{self.n}"

    def onboarded(
        self,
        when: str,
        *,
        programs: tuple[str, ...] = ("prog",),
        territories: tuple[str, ...] = ("US",),
        partner_type: PartnerType = PartnerType.VAR,
        event_id: str | None = None,
    ) -> PartnerOnboarded:
        return PartnerOnboarded(
            event_id=self._id(event_id),
            occurred_at=at(when),
            source="erp",
            partner_id=self.partner_id,
            name="Partner One",
            partner_type=partner_type,
            tier=PartnerTier.SILVER,
            territories=territories,
            programs=programs,
        )

    def sale(
        self,
        when: str,
        amount: str | int,
        *,
        sale_id: str | None = None,
        quantity: int = 1,
        sku: str = "SKU-1",
        product_line: str = "network",
        territory: str = "US-CA",
        customer: str = "C-1",
        currency: str = "USD",
        registration_id: str | None = None,
        event_id: str | None = None,
    ) -> SaleRecorded:
        eid = self._id(event_id)
        total = money(amount)
        return SaleRecorded(
            event_id=eid,
            occurred_at=at(when),
            source="erp",
            sale_id=sale_id or f"S-{eid}",
            channel=SaleChannel.PARTNER,
            partner_id=self.partner_id,
            customer_id=customer,
            customer_territory=territory,
            sku=sku,
            product_line=product_line,
            quantity=quantity,
            unit_price=total / quantity,
            amount=total,
            currency=currency,
            registration_id=registration_id,
        )

    def returned(
        self,
        when: str,
        sale: SaleRecorded,
        amount: str | int | None = None,
        *,
        quantity: int | None = None,
        return_id: str | None = None,
        event_id: str | None = None,
    ) -> SaleReturned:
        eid = self._id(event_id)
        return SaleReturned(
            event_id=eid,
            occurred_at=at(when),
            source="erp",
            return_id=return_id or f"R-{eid}",
            sale_id=sale.sale_id,
            partner_id=self.partner_id,
            customer_id=sale.customer_id,
            quantity=sale.quantity if quantity is None else quantity,
            amount=sale.amount if amount is None else money(amount),
            currency=sale.currency,
            reason="damaged",
        )

    def certified(
        self, when: str, product_line: str, until: str, event_id: str | None = None
    ) -> PartnerCertified:
        return PartnerCertified(
            event_id=self._id(event_id),
            occurred_at=at(when),
            source="prm",
            partner_id=self.partner_id,
            product_line=product_line,
            valid_until=at(until),
        )

    def claimed(
        self,
        when: str,
        claim_id: str,
        amount: str | int,
        allowance: Allowance = Allowance.MARKETING,
        program_id: str = "prog",
    ) -> AllowanceClaimed:
        return AllowanceClaimed(
            event_id=self._id(None),
            occurred_at=at(when),
            source="prm",
            claim_id=claim_id,
            partner_id=self.partner_id,
            program_id=program_id,
            allowance=allowance,
            amount=money(amount),
            currency="USD",
            evidence_ref="invoice-1",
        )

    def approved(self, when: str, claim_id: str) -> AllowanceClaimApproved:
        return AllowanceClaimApproved(
            event_id=self._id(None),
            occurred_at=at(when),
            source="prm",
            claim_id=claim_id,
            partner_id=self.partner_id,
        )

    def payout(
        self, when: str, payout_id: str, amount: str | int, period: str = "2026-Q1", program_id: str = "prog"
    ) -> PayoutIssued:
        return PayoutIssued(
            event_id=self._id(None),
            occurred_at=at(when),
            source="erp",
            payout_id=payout_id,
            partner_id=self.partner_id,
            program_id=program_id,
            amount=money(amount),
            currency="USD",
            period=period,
        )

    def payout_reversed(self, when: str, payout_id: str) -> PayoutReversed:
        return PayoutReversed(
            event_id=self._id(None),
            occurred_at=at(when),
            source="erp",
            payout_id=payout_id,
            partner_id=self.partner_id,
            reason="bank returned",
        )

    def acknowledged(
        self,
        when: str,
        alert_id: str,
        *,
        by: str = "cm@vendor",
        customer: str = "",
        event_id: str | None = None,
    ) -> AlertAcknowledged:
        """An acknowledgement addressed to this partner's processor (``partner_id`` set)."""
        return AlertAcknowledged(
            event_id=self._id(event_id),
            occurred_at=at(when),
            source="alert-console",
            alert_id=alert_id,
            customer_id=customer,
            acknowledged_by=by,
            partner_id=self.partner_id,
        )

    def resolved(
        self,
        when: str,
        alert_id: str,
        resolution: str = "partner briefed",
        *,
        by: str = "cm@vendor",
        customer: str = "",
        event_id: str | None = None,
    ) -> AlertResolved:
        """A resolution addressed to this partner's processor (``partner_id`` set)."""
        return AlertResolved(
            event_id=self._id(event_id),
            occurred_at=at(when),
            source="alert-console",
            alert_id=alert_id,
            customer_id=customer,
            resolved_by=by,
            resolution=resolution,
            partner_id=self.partner_id,
        )

    def tick(self, when: str) -> ClockTicked:
        return ClockTicked(
            event_id=self._id(None), occurred_at=at(when), source="scheduler", partner_id=self.partner_id
        )


def run(
    events: Iterable[InputEvent], program_book: ProgramBook, state: PartnerState | None = None
) -> tuple[PartnerState | None, list[Output]]:
    outputs: list[Output] = []
    for event in events:
        state, out = apply(state, event, program_book)
        outputs.extend(out)
    return state, outputs


def entries(outputs: Iterable[Output], kind: EntryKind | None = None) -> list[LedgerEntry]:
    return [o for o in outputs if isinstance(o, LedgerEntry) and (kind is None or o.kind is kind)]


def alerts(outputs: Iterable[Output]) -> list[ConflictAlert]:
    return [o for o in outputs if isinstance(o, ConflictAlert)]


def rejections(outputs: Iterable[Output]) -> list[Rejected]:
    return [o for o in outputs if isinstance(o, Rejected)]


def forgone(outputs: Iterable[Output]) -> list[AccrualForgone]:
    return [o for o in outputs if isinstance(o, AccrualForgone)]


def credited(entry: LedgerEntry) -> Decimal:
    """What the entry credits the partner (positive = owed to the partner)."""
    return -sum((p.amount for p in entry.postings if p.account.startswith("partner:")), Decimal(0))


def amounts(outputs: Iterable[Output], kind: EntryKind, bucket: Bucket | None = None) -> list[Decimal]:
    """Per-entry amounts moved into the partner's bucket accounts, for ``kind`` (and ``bucket``)."""
    return [
        -sum((p.amount for p in e.postings if p.account.startswith("partner:")), Decimal(0))
        for e in entries(outputs, kind)
        if bucket is None or e.bucket is bucket
    ]
