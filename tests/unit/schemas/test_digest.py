"""content_digest: equal content, equal digest, however written; any change, another digest."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from schemas.codec import decode, encode
from schemas.digest import content_digest
from schemas.events import EVENT_TYPES
from tests.unit.schemas.examples import example


def test_known_digest_is_pinned() -> None:
    # Stored digests must stay comparable across releases: changing the canonical text
    # means migrating every processor's stored digests. Fields sorted by name, nulls left out,
    # strings length-prefixed, times as epoch milliseconds.
    text = (
        "rClockTicked{event_id=s36:72893fb8-26e6-5aaf-9c93-c4b996ee1b40"
        "occurred_at=t1777593600000;partner_id=s9:P-DE-0042schema_version=i1;source=s9:scheduler}"
    )
    assert content_digest(example("ClockTicked")) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_decoded_events_have_the_digest_of_the_original(type_name: str) -> None:
    event = example(type_name)
    assert content_digest(decode(encode(event))) == content_digest(event)  # type: ignore[arg-type]


def test_equal_values_written_differently_hash_equally() -> None:
    sale = example("SaleRecorded")
    rescaled = dataclasses.replace(sale, amount=Decimal("55350.000000"), unit_price=Decimal("1.845E+4"))
    assert content_digest(rescaled) == content_digest(sale)
    sub_ms = dataclasses.replace(sale, occurred_at=sale.occurred_at + timedelta(microseconds=999))
    assert content_digest(sub_ms) == content_digest(sale)  # the wire keeps milliseconds


def test_any_change_of_content_changes_the_digest() -> None:
    sale = example("SaleRecorded")
    variants = [
        dataclasses.replace(sale, quantity=4),
        dataclasses.replace(sale, amount=Decimal("55350.01")),
        dataclasses.replace(sale, occurred_at=sale.occurred_at + timedelta(milliseconds=1)),
        dataclasses.replace(sale, registration_id=None),
        dataclasses.replace(sale, sku=sale.sku + " "),
        dataclasses.replace(sale, source="erp2"),
    ]
    digests = {content_digest(v) for v in variants} | {content_digest(sale)}
    assert len(digests) == len(variants) + 1


def test_strings_cannot_run_into_each_other() -> None:
    partner = example("PartnerOnboarded")
    a = dataclasses.replace(partner, territories=("DE", "AT"))
    b = dataclasses.replace(partner, territories=("DEA", "T"))
    c = dataclasses.replace(partner, territories=("DE", "AT"), programs=())
    assert len({content_digest(a), content_digest(b), content_digest(c)}) == 3
