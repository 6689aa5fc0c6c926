"""Canonical JSON bytes for a customer state (the value a Faust table or a snapshot stores).

Canonical means: sorted keys, no whitespace, datetimes as integer microseconds since the
epoch, mappings sorted by key. Equal states therefore encode to equal bytes, which is what
"replay gives identical state" is checked against. ``FORMAT`` changes with the layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from processors.conflicts.alerts import AlertRecord, party
from processors.conflicts.registrations import Approval, EndKind, Registration, Stamp
from processors.conflicts.sales import SaleCell, SellerCells
from processors.conflicts.timeutil import from_micros, to_micros
from schemas.outputs import AlertRule, AlertSeverity, AlertStatus, ConflictAlert, PartyRole

FORMAT = 1

Json = None | bool | int | str | list["Json"] | dict[str, "Json"]


class StateParts(NamedTuple):
    customer_id: str
    clock: datetime | None
    registrations: dict[str, Registration]
    sales: dict[str, dict[str, SellerCells]]
    alerts: dict[str, AlertRecord]
    prune_due_day: int | None


def encode(
    customer_id: str,
    clock: datetime | None,
    registrations: Mapping[str, Registration],
    sales: Mapping[str, Mapping[str, SellerCells]],
    alerts: Mapping[str, AlertRecord],
    prune_due_day: int | None,
) -> bytes:
    document: dict[str, Json] = {
        "format": FORMAT,
        "customer_id": customer_id,
        "clock": _time(clock),
        "registrations": [_registration(registrations[k]) for k in sorted(registrations)],
        "sales": {
            line: {seller: [_cell(c) for c in cells] for seller, cells in sellers.items()}
            for line, sellers in sales.items()
        },
        "alerts": [_record(alerts[k]) for k in sorted(alerts)],
        "prune_due_day": prune_due_day,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def decode(data: bytes) -> StateParts:
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"unsupported format {document.get('format')!r}, expected {FORMAT}")
        registrations = [_registration_from(r) for r in document["registrations"]]
        records = [_record_from(a) for a in document["alerts"]]
        return StateParts(
            customer_id=str(document["customer_id"]),
            clock=_time_from(document["clock"]),
            registrations={r.registration_id: r for r in registrations},
            sales={
                line: {seller: tuple(_cell_from(c) for c in cells) for seller, cells in sellers.items()}
                for line, sellers in document["sales"].items()
            },
            alerts={r.alert.alert_id: r for r in records},
            prune_due_day=None if document["prune_due_day"] is None else _int(document["prune_due_day"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ValueError(f"malformed customer state: {error!r}") from error


# --- encoding -------------------------------------------------------------------------


def _time(at: datetime | None) -> int | None:
    return None if at is None else to_micros(at)


def _stamp(stamp: Stamp | None) -> Json:
    return None if stamp is None else [to_micros(stamp.at), stamp.event_id]


def _approval(approval: Approval | None) -> Json:
    if approval is None:
        return None
    return [to_micros(approval.at), approval.event_id, _time(approval.expires_at)]


def _registration(reg: Registration) -> Json:
    return [
        reg.registration_id,
        reg.partner_id,
        reg.product_line,
        _stamp(reg.registered),
        _approval(reg.first_approval),
        _approval(reg.last_approval),
        _stamp(reg.end),
        None if reg.end_kind is None else reg.end_kind.value,
    ]


def _cell(cell: SaleCell) -> Json:
    return [cell.day, to_micros(cell.first_at), cell.first_event, to_micros(cell.last_at), cell.last_event]


def _record(record: AlertRecord) -> Json:
    alert = record.alert
    return {
        "alert": {
            "alert_id": alert.alert_id,
            "revision": alert.revision,
            "rule_id": alert.rule_id.value,
            "severity": alert.severity.value,
            "status": alert.status.value,
            "customer_id": alert.customer_id,
            "product_line": alert.product_line,
            "parties": [[p.partner_id, p.role.value] for p in alert.parties],
            "evidence_event_ids": list(alert.evidence_event_ids),
            "occurred_at": to_micros(alert.occurred_at),
            "detected_at": to_micros(alert.detected_at),
            "message": alert.message,
            "recommended_action": alert.recommended_action,
        },
        "keys": list(record.keys),
        "protection_evidence": record.protection_evidence,
        "from_day": record.from_day,
        "until_day": record.until_day,
        "lifecycle_events": list(record.lifecycle_events),
        "note": record.note,
    }


# --- decoding -------------------------------------------------------------------------


def _time_from(raw: object) -> datetime | None:
    return None if raw is None else from_micros(_int(raw))


def _int(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise TypeError(f"expected an integer, got {raw!r}")
    return raw


def _optional_str(raw: object) -> str | None:
    return None if raw is None else str(raw)


def _stamp_from(raw: object) -> Stamp | None:
    if raw is None:
        return None
    at, event_id = _list(raw)
    return Stamp(from_micros(_int(at)), str(event_id))


def _approval_from(raw: object) -> Approval | None:
    if raw is None:
        return None
    at, event_id, expires_at = _list(raw)
    return Approval(from_micros(_int(at)), str(event_id), _time_from(expires_at))


def _registration_from(raw: object) -> Registration:
    registration_id, partner_id, line, registered, first, last, end, end_kind = _list(raw)
    return Registration(
        registration_id=str(registration_id),
        partner_id=str(partner_id),
        product_line=_optional_str(line),
        registered=_stamp_from(registered),
        first_approval=_approval_from(first),
        last_approval=_approval_from(last),
        end=_stamp_from(end),
        end_kind=None if end_kind is None else EndKind(str(end_kind)),
    )


def _cell_from(raw: object) -> SaleCell:
    day, first_at, first_event, last_at, last_event = _list(raw)
    return SaleCell(
        _int(day), from_micros(_int(first_at)), str(first_event), from_micros(_int(last_at)), str(last_event)
    )


def _record_from(raw: dict[str, object]) -> AlertRecord:
    a = raw["alert"]
    if not isinstance(a, dict):
        raise TypeError("alert: expected an object")
    alert = ConflictAlert(
        alert_id=str(a["alert_id"]),
        revision=_int(a["revision"]),
        rule_id=AlertRule(a["rule_id"]),
        severity=AlertSeverity(a["severity"]),
        status=AlertStatus(a["status"]),
        customer_id=_optional_str(a["customer_id"]),
        product_line=_optional_str(a["product_line"]),
        parties=tuple(party(str(p), PartyRole(r)) for p, r in a["parties"]),
        evidence_event_ids=tuple(str(e) for e in a["evidence_event_ids"]),
        occurred_at=from_micros(_int(a["occurred_at"])),
        detected_at=from_micros(_int(a["detected_at"])),
        message=str(a["message"]),
        recommended_action=str(a["recommended_action"]),
    )
    return AlertRecord(
        alert=alert,
        keys=tuple(str(k) for k in _list(raw["keys"])),
        protection_evidence=_int(raw["protection_evidence"]),
        from_day=None if raw["from_day"] is None else _int(raw["from_day"]),
        until_day=None if raw["until_day"] is None else _int(raw["until_day"]),
        lifecycle_events=tuple(str(e) for e in _list(raw["lifecycle_events"])),
        note=str(raw["note"]),
    )


def _list(raw: object) -> list[object]:
    if not isinstance(raw, list):
        raise TypeError(f"expected a list, got {raw!r}")
    return raw
