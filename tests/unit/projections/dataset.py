"""A seeded, self-contained data set for the projection tests: input events and core outputs.

It stands in for the processors (which the projections must not depend on): ledger entries,
alerts and forgone accruals are written here with the models directly, following the
ledger's account conventions (``partner:<id>:<program>:<bucket>`` credited on accrual).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from projections.rows import Record
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    Allowance,
    AllowanceClaimApproved,
    AllowanceClaimed,
    AllowanceClaimRejected,
    ClockTicked,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    PartnerCertified,
    PartnerOffboarded,
    PartnerOnboarded,
    PartnerTerritoryChanged,
    PartnerTier,
    PartnerTierChanged,
    PartnerType,
    PayoutIssued,
    PayoutReversed,
    Resolution,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    Severity,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import (
    AccrualForgone,
    AlertParty,
    AlertRule,
    AlertSeverity,
    AlertStatus,
    Bucket,
    ConflictAlert,
    DeadLetter,
    EntryKind,
    LedgerEntry,
    PartyRole,
    Posting,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 181  # 2026-01-01 .. 2026-06-30
PROGRAM = "prog-2026"
CURRENCY = "EUR"
REBATE_RATE = Decimal("0.03")
MDF_RATE = Decimal("0.01")
CENT = Decimal("0.01")

PARTNER_TYPES = (
    PartnerType.VAR,
    PartnerType.RESELLER,
    PartnerType.DISTRIBUTOR,
    PartnerType.SYSTEM_INTEGRATOR,
    PartnerType.VAR,
    PartnerType.AFFILIATE,
)
PRODUCT_LINES = ("servers", "storage", "network")


@dataclass
class _Builder:
    rng: random.Random
    records: list[Record] = field(default_factory=list)
    counter: int = 0

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:05d}"

    def at(self, day: int, minute: int | None = None) -> datetime:
        offset = minute if minute is not None else self.rng.randrange(8 * 60, 18 * 60)
        return START + timedelta(days=day, minutes=offset, milliseconds=self.rng.randrange(1000))


def _transfer(debit: str, credit: str, amount: Decimal) -> tuple[Posting, Posting]:
    return (
        Posting(account=debit, amount=amount, currency=CURRENCY),
        Posting(account=credit, amount=-amount, currency=CURRENCY),
    )


def _entry(
    b: _Builder,
    kind: EntryKind,
    partner_id: str,
    bucket: Bucket | None,
    when: datetime,
    postings: tuple[Posting, ...],
    sources: tuple[str, ...],
) -> LedgerEntry:
    return LedgerEntry(
        entry_id=b.next_id("entry"),
        kind=kind,
        partner_id=partner_id,
        program_id=PROGRAM,
        program_version=1,
        rule_id=f"{bucket.value if bucket else 'cash'}-rule",
        bucket=bucket,
        tier=None,
        period=when.strftime("%Y-%m"),
        occurred_at=when,
        postings=postings,
        source_event_ids=sources,
        memo=f"{kind.value} for {partner_id}",
    )


def _bucket_account(partner_id: str, bucket: Bucket) -> str:
    return f"partner:{partner_id}:{PROGRAM}:{bucket.value}"


def _payable(partner_id: str) -> str:
    return f"partner:{partner_id}:{PROGRAM}:payable"


def _expense(bucket: Bucket) -> str:
    return f"vendor:expense:{PROGRAM}:{bucket.value}"


def generate(seed: int = 7, partners: int = 6, sales_per_partner: int = 40) -> list[Record]:
    """The data set, in an order a pipeline could have produced it (not sorted by time)."""
    b = _Builder(random.Random(seed))
    partner_ids = [f"P{index + 1:02d}" for index in range(partners)]
    for index, partner_id in enumerate(partner_ids):
        _partner(b, partner_id, index)
    for index, partner_id in enumerate(partner_ids):
        _sales_and_registrations(b, partner_id, partner_ids, index, sales_per_partner)
        _support(b, partner_id)
        _payouts(b, partner_id)
    _direct_sales(b)
    _alerts(b, partner_ids)
    _dead_letters(b)
    return b.records


def _partner(b: _Builder, partner_id: str, index: int) -> None:
    b.records.append(
        PartnerOnboarded(
            event_id=b.next_id("evt"),
            occurred_at=b.at(0, 60 + index),
            source="erp",
            partner_id=partner_id,
            name=f"Partner {partner_id}",
            partner_type=PARTNER_TYPES[index % len(PARTNER_TYPES)],
            tier=PartnerTier.SILVER,
            territories=("DE", "AT") if index % 2 else ("FR",),
            programs=(PROGRAM,),
        )
    )
    if index % 3 == 0:  # a promotion in the spring
        b.records.append(
            PartnerTierChanged(
                event_id=b.next_id("evt"),
                occurred_at=b.at(75 + index),
                source="erp",
                partner_id=partner_id,
                tier=PartnerTier.GOLD,
            )
        )
    if index == 1:
        b.records.append(
            PartnerTerritoryChanged(
                event_id=b.next_id("evt"),
                occurred_at=b.at(60),
                source="erp",
                partner_id=partner_id,
                territories=("DE", "AT", "CH"),
            )
        )
    if index == 5:
        b.records.append(
            PartnerOffboarded(
                event_id=b.next_id("evt"),
                occurred_at=b.at(DAYS - 1, 23 * 60),
                source="erp",
                partner_id=partner_id,
                reason="contract ended",
            )
        )
    b.records.append(
        ClockTicked(
            event_id=b.next_id("evt"),
            occurred_at=b.at(DAYS - 1, 23 * 60 + 30),
            source="scheduler",
            partner_id=partner_id,
        )
    )
    for line_index, line in enumerate(PRODUCT_LINES[: 1 + index % 3]):
        certified_day = 10 + 20 * line_index
        b.records.append(
            PartnerCertified(
                event_id=b.next_id("evt"),
                occurred_at=b.at(certified_day),
                source="prm",
                partner_id=partner_id,
                product_line=line,
                valid_until=b.at(certified_day + 100),
            )
        )


def _sales_and_registrations(
    b: _Builder, partner_id: str, partner_ids: list[str], index: int, count: int
) -> None:
    rng = b.rng
    registrations: list[tuple[str, str, str, int, datetime | None]] = []
    for reg_index in range(6):
        registration_id = f"REG-{partner_id}-{reg_index}"
        customer_id = f"C{rng.randrange(40):03d}"
        line = PRODUCT_LINES[reg_index % len(PRODUCT_LINES)]
        day = rng.randrange(0, 150)
        b.records.append(
            DealRegistered(
                event_id=b.next_id("evt"),
                occurred_at=b.at(day),
                source="prm",
                registration_id=registration_id,
                partner_id=partner_id,
                customer_id=customer_id,
                customer_territory="DE",
                product_line=line,
                estimated_amount=Decimal(rng.randrange(1000, 9000)),
                currency=CURRENCY,
            )
        )
        outcome = reg_index % 6
        if outcome == 5:
            b.records.append(
                DealRegistrationRejected(
                    event_id=b.next_id("evt"),
                    occurred_at=b.at(day + 2),
                    source="prm",
                    registration_id=registration_id,
                    partner_id=partner_id,
                    customer_id=customer_id,
                    reason="duplicate",
                )
            )
            continue
        if outcome == 4 and index % 2 == 0:
            continue  # still pending
        explicit_expiry = b.at(day + 30) if outcome == 1 else None
        b.records.append(
            DealRegistrationApproved(
                event_id=b.next_id("evt"),
                occurred_at=b.at(day + 1),
                source="prm",
                registration_id=registration_id,
                partner_id=partner_id,
                customer_id=customer_id,
                expires_at=explicit_expiry,
            )
        )
        if outcome == 3:
            b.records.append(
                DealRegistrationWithdrawn(
                    event_id=b.next_id("evt"),
                    occurred_at=b.at(day + 5),
                    source="prm",
                    registration_id=registration_id,
                    partner_id=partner_id,
                    customer_id=customer_id,
                )
            )
            continue
        if outcome in (0, 2):  # won: a sale naming it within its protection
            registrations.append((registration_id, customer_id, line, day + 3 + rng.randrange(20), None))
        elif outcome == 1:  # a sale naming it, but after its explicit expiry: not a win
            registrations.append((registration_id, customer_id, line, day + 40, explicit_expiry))
    for registration_id, customer_id, line, sale_day, _ in registrations:
        _sale(b, partner_id, customer_id, line, min(sale_day, DAYS - 1), registration_id)
    for _ in range(count):
        _sale(
            b,
            partner_id,
            f"C{rng.randrange(40):03d}",
            rng.choice(PRODUCT_LINES),
            rng.randrange(DAYS),
            None,
        )
    # a registration whose sale came from another partner (not a win for it)
    other = partner_ids[(index + 1) % len(partner_ids)]
    _sale(b, other, "C999", "servers", 30 + index, f"REG-{partner_id}-0")


def _sale(
    b: _Builder, partner_id: str, customer_id: str, line: str, day: int, registration_id: str | None
) -> None:
    rng = b.rng
    quantity = rng.randrange(1, 12)
    unit_price = Decimal(rng.randrange(5000, 90000)) / 100
    amount = unit_price * quantity
    sale = SaleRecorded(
        event_id=b.next_id("evt"),
        occurred_at=b.at(day),
        source="erp",
        sale_id=b.next_id("sale"),
        channel=SaleChannel.PARTNER,
        partner_id=partner_id,
        customer_id=customer_id,
        customer_territory="DE",
        sku=f"SKU-{line}-{rng.randrange(3)}",
        product_line=line,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        currency=CURRENCY,
        registration_id=registration_id,
    )
    b.records.append(sale)
    rebate = (amount * REBATE_RATE).quantize(CENT)
    b.records.append(
        _entry(
            b,
            EntryKind.ACCRUAL,
            partner_id,
            Bucket.REBATE,
            sale.occurred_at,
            _transfer(_expense(Bucket.REBATE), _bucket_account(partner_id, Bucket.REBATE), rebate),
            (sale.event_id,),
        )
    )
    mdf = (amount * MDF_RATE).quantize(CENT)
    b.records.append(
        _entry(
            b,
            EntryKind.ACCRUAL,
            partner_id,
            Bucket.MDF,
            sale.occurred_at,
            _transfer(_expense(Bucket.MDF), _bucket_account(partner_id, Bucket.MDF), mdf),
            (sale.event_id,),
        )
    )
    if line == "network" and rng.random() < 0.5:
        b.records.append(
            AccrualForgone(
                forgone_id=b.next_id("forgone"),
                partner_id=partner_id,
                program_id=PROGRAM,
                program_version=1,
                rule_id="spiff-network",
                bucket=Bucket.SPIFF,
                period=sale.occurred_at.strftime("%Y-%m"),
                occurred_at=sale.occurred_at,
                amount=Decimal(5) * quantity,
                currency=CURRENCY,
                product_line=line,
                reason="no valid certification for network",
                source_event_ids=(sale.event_id,),
            )
        )
    if rng.random() < 0.15:
        returned = rng.randrange(1, quantity + 1)
        return_day = min(day + rng.randrange(1, 20), DAYS - 1)
        returned_amount = unit_price * returned
        ret = SaleReturned(
            event_id=b.next_id("evt"),
            occurred_at=b.at(return_day),
            source="erp",
            return_id=b.next_id("ret"),
            sale_id=sale.sale_id,
            partner_id=partner_id,
            customer_id=customer_id,
            quantity=returned,
            amount=returned_amount,
            currency=CURRENCY,
            reason="damaged",
        )
        b.records.append(ret)
        clawback = (returned_amount * REBATE_RATE).quantize(CENT)
        b.records.append(
            _entry(
                b,
                EntryKind.CLAWBACK,
                partner_id,
                Bucket.REBATE,
                ret.occurred_at,
                _transfer(_bucket_account(partner_id, Bucket.REBATE), _expense(Bucket.REBATE), clawback),
                (ret.event_id, sale.event_id),
            )
        )


def _support(b: _Builder, partner_id: str) -> None:
    rng = b.rng
    for _ in range(rng.randrange(6, 14)):
        case_id = b.next_id("case")
        day = rng.randrange(DAYS - 5)
        opened = SupportCaseOpened(
            event_id=b.next_id("evt"),
            occurred_at=b.at(day),
            source="desk",
            case_id=case_id,
            partner_id=partner_id,
            customer_id=f"C{rng.randrange(40):03d}",
            sku="SKU-servers-1",
            severity=rng.choice(list(Severity)),
        )
        b.records.append(opened)
        if rng.random() < 0.15:
            continue  # still open
        resolved_at = opened.occurred_at + timedelta(hours=rng.randrange(1, 240), minutes=rng.randrange(60))
        b.records.append(
            SupportCaseResolved(
                event_id=b.next_id("evt"),
                occurred_at=resolved_at,
                source="desk",
                case_id=case_id,
                partner_id=partner_id,
                resolution=rng.choice(list(Resolution)),
            )
        )
        if rng.random() < 0.8:
            b.records.append(
                SupportCaseRated(
                    event_id=b.next_id("evt"),
                    occurred_at=resolved_at + timedelta(hours=2),
                    source="desk",
                    case_id=case_id,
                    partner_id=partner_id,
                    csat=rng.randrange(1, 6),
                )
            )


def _payouts(b: _Builder, partner_id: str) -> None:
    last_payout: PayoutIssued | None = None
    for month in (2, 5):
        when = b.at(31 * month - 20)
        amount = Decimal(100 + 17 * int(partner_id[1:]))
        payout = PayoutIssued(
            event_id=b.next_id("evt"),
            occurred_at=when,
            source="erp",
            payout_id=b.next_id("payout"),
            partner_id=partner_id,
            program_id=PROGRAM,
            amount=amount,
            currency=CURRENCY,
            period=f"2026-0{month - 1}",
        )
        b.records.append(payout)
        last_payout = payout
        b.records.append(
            _entry(
                b,
                EntryKind.PAYOUT,
                partner_id,
                None,
                when,
                _transfer(_payable(partner_id), "vendor:cash", amount),
                (payout.event_id,),
            )
        )
        b.records.append(  # the rebate owed moves to payable before it is paid
            _entry(
                b,
                EntryKind.ADJUSTMENT,
                partner_id,
                Bucket.REBATE,
                when,
                _transfer(_bucket_account(partner_id, Bucket.REBATE), _payable(partner_id), amount),
                (payout.event_id,),
            )
        )
    claimed = AllowanceClaimed(
        event_id=b.next_id("evt"),
        occurred_at=b.at(100),
        source="distributor",
        claim_id=b.next_id("claim"),
        partner_id=partner_id,
        program_id=PROGRAM,
        allowance=Allowance.MARKETING,
        amount=Decimal("40.00"),
        currency=CURRENCY,
        evidence_ref="s3://evidence/campaign.pdf",
    )
    b.records.append(claimed)
    if int(partner_id[1:]) % 2:
        b.records.append(
            AllowanceClaimRejected(
                event_id=b.next_id("evt"),
                occurred_at=b.at(104),
                source="erp",
                claim_id=claimed.claim_id,
                partner_id=partner_id,
                reason="no proof of performance",
            )
        )
    else:
        approved = AllowanceClaimApproved(
            event_id=b.next_id("evt"),
            occurred_at=b.at(103),
            source="erp",
            claim_id=claimed.claim_id,
            partner_id=partner_id,
        )
        b.records.append(approved)
        b.records.append(
            _entry(
                b,
                EntryKind.CLAIM_APPROVED,
                partner_id,
                Bucket.MDF,
                approved.occurred_at,
                _transfer(_bucket_account(partner_id, Bucket.MDF), _payable(partner_id), claimed.amount),
                (claimed.event_id, approved.event_id),
            )
        )
    if partner_id == "P01" and last_payout is not None:
        reversed_payout = PayoutReversed(
            event_id=b.next_id("evt"),
            occurred_at=b.at(140),
            source="erp",
            payout_id=last_payout.payout_id,
            partner_id=partner_id,
            reason="bank rejected the transfer",
        )
        b.records.append(reversed_payout)
        b.records.append(
            _entry(
                b,
                EntryKind.PAYOUT_REVERSAL,
                partner_id,
                None,
                reversed_payout.occurred_at,
                _transfer("vendor:cash", _payable(partner_id), last_payout.amount),
                (reversed_payout.event_id, last_payout.event_id),
            )
        )
    b.records.append(
        _entry(
            b,
            EntryKind.EXPIRY,
            partner_id,
            Bucket.MDF,
            b.at(120),
            _transfer(_bucket_account(partner_id, Bucket.MDF), _expense(Bucket.MDF), Decimal("12.50")),
            (),
        )
    )


def _direct_sales(b: _Builder) -> None:
    for _ in range(5):
        b.records.append(
            SaleRecorded(
                event_id=b.next_id("evt"),
                occurred_at=b.at(b.rng.randrange(DAYS)),
                source="erp",
                sale_id=b.next_id("sale"),
                channel=SaleChannel.DIRECT,
                partner_id=None,
                customer_id=f"C{b.rng.randrange(40):03d}",
                customer_territory="FR",
                sku="SKU-storage-0",
                product_line="storage",
                quantity=1,
                unit_price=Decimal("999.99"),
                amount=Decimal("999.99"),
                currency=CURRENCY,
            )
        )


def _alert(
    b: _Builder,
    alert_id: str,
    revision: int,
    rule: AlertRule,
    parties: tuple[AlertParty, ...],
    day: int,
    status: AlertStatus = AlertStatus.OPEN,
) -> ConflictAlert:
    severity = {
        AlertRule.REGISTRATION_BREACH: AlertSeverity.HIGH,
        AlertRule.VENDOR_BYPASS: AlertSeverity.CRITICAL,
        AlertRule.OVERPAYMENT: AlertSeverity.HIGH,
    }.get(rule, AlertSeverity.MEDIUM)
    return ConflictAlert(
        alert_id=alert_id,
        revision=revision,
        rule_id=rule,
        severity=severity,
        status=status,
        customer_id="C001",
        product_line="servers",
        parties=parties,
        evidence_event_ids=tuple(f"evt-ev-{alert_id}-{n}" for n in range(revision)),
        occurred_at=b.at(day, 600),
        detected_at=b.at(day + revision - 1, 601),
        message=f"{rule.value} on C001",
        recommended_action="see SOP",
    )


def _alerts(b: _Builder, partner_ids: list[str]) -> None:
    rules = list(AlertRule)
    for index in range(12):
        offender = partner_ids[index % len(partner_ids)]
        protected = partner_ids[(index + 2) % len(partner_ids)]
        rule = rules[index % len(rules)]
        parties = (
            (
                AlertParty(partner_id=protected, role=PartyRole.PROTECTED),
                AlertParty(partner_id="", role=PartyRole.VENDOR),
            )
            if rule is AlertRule.VENDOR_BYPASS
            else (
                AlertParty(partner_id=offender, role=PartyRole.OFFENDER),
                AlertParty(partner_id=protected, role=PartyRole.PROTECTED),
            )
        )
        alert_id = f"alert-{index:02d}"
        day = 10 + 13 * index
        revisions = 1 + index % 3
        for revision in range(1, revisions + 1):
            b.records.append(_alert(b, alert_id, revision, rule, parties, day))
        if index % 4 == 1:
            b.records.append(
                AlertAcknowledged(
                    event_id=b.next_id("evt"),
                    occurred_at=b.at(day + revisions + 1),
                    source="ticketing",
                    alert_id=alert_id,
                    customer_id="C001",
                    acknowledged_by="cm@vendor",
                )
            )
        if index % 4 == 2:
            b.records.append(
                AlertResolved(
                    event_id=b.next_id("evt"),
                    occurred_at=b.at(day + revisions + 3),
                    source="ticketing",
                    alert_id=alert_id,
                    customer_id="C001",
                    resolved_by="cm@vendor",
                    resolution="credited protected partner",
                )
            )


def _dead_letters(b: _Builder) -> None:
    for offset in (3, 17):
        b.records.append(
            DeadLetter(
                reason_code="SCHEMA_VIOLATION",
                message=f"field amount missing at offset {offset}",
                original=b"\x00\x01not-avro\xff",
                source_topic="cl.sales",
                source_partition=1,
                source_offset=offset,
                failed_at=b.at(50),
                event_id=None,
                event_type="SaleRecorded",
            )
        )
