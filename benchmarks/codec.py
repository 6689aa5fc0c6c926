"""Codec throughput for a sale event next to raw fastavro, measured in the same run.

    python benchmarks/codec.py [--records 200000] [--repeats 5]

Baselines: ``fastavro.schemaless_writer`` / ``schemaless_reader`` on the same schema, with
fastavro's own logical-type handling (decimals and timestamps), on a prepared dict and a bare
body: no framing, no model. The codec does everything a consumer needs on top (single-object
header, fingerprint lookup, checks, typed frozen model). Target: codec decode >= 0.8x raw.
"""

from __future__ import annotations

import argparse
import io
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from schemas.codec import decode, encode
from schemas.events import SaleChannel, SaleRecorded
from schemas.schema_store import default_store
from schemas.wire import strip_logical_types

SALE = SaleRecorded(
    event_id="0bbe4fc3-cf9a-504f-825d-1ccd21a0a20a",
    occurred_at=datetime(2026, 3, 12, 10, 42, 17, 250000, tzinfo=UTC),
    source="erp",
    sale_id="SO-2026-004211",
    channel=SaleChannel.PARTNER,
    partner_id="P-DE-0042",
    customer_id="C-DE-81544",
    customer_territory="DE",
    sku="NX-4800-48TB",
    product_line="storage",
    quantity=3,
    unit_price=Decimal("18450.00"),
    amount=Decimal("55350.00"),
    currency="EUR",
    registration_id="REG-2026-00318",
)


def records_per_second(action: Callable[[], object], records: int, repeats: int) -> float:
    """Best of ``repeats`` runs: the least disturbed by the rest of the machine."""
    best = min(timeit.repeat(action, number=records, repeat=repeats))
    return records / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    stored = default_store().current["SaleRecorded"]
    schema = parse_schema(dict(stored.definition))
    plain_schema = parse_schema(strip_logical_types(stored.definition))  # type: ignore[arg-type]
    record = {"event_type": "SaleRecorded"} | {
        name: (value.value if isinstance(value, SaleChannel) else value)
        for name, value in ((f, getattr(SALE, f)) for f in SaleRecorded.__dataclass_fields__)
    }
    framed = encode(SALE)
    body = framed[10:]
    assert decode(framed) == SALE
    raw = schemaless_reader(io.BytesIO(body), schema)
    assert isinstance(raw, dict) and raw["amount"] == SALE.amount

    def raw_write() -> None:
        schemaless_writer(io.BytesIO(), schema, record)

    def raw_read() -> object:
        return schemaless_reader(io.BytesIO(body), schema)

    def raw_read_plain() -> object:
        return schemaless_reader(io.BytesIO(body), plain_schema)

    n, r = args.records, args.repeats
    figures = [
        ("encode", "codec.encode (model -> framed bytes)", records_per_second(lambda: encode(SALE), n, r)),
        ("encode", "fastavro.schemaless_writer (dict -> body)", records_per_second(raw_write, n, r)),
        ("decode", "codec.decode (framed bytes -> model)", records_per_second(lambda: decode(framed), n, r)),
        ("decode", "fastavro.schemaless_reader (body -> dict)", records_per_second(raw_read, n, r)),
        ("decode", "  same, logical types off (info)", records_per_second(raw_read_plain, n, r)),
    ]
    print(f"SaleRecorded, {len(framed)} bytes framed; {n} records x best of {r}\n")
    print(f"{'':8}{'path':46}{'records/s':>12}")
    for kind, label, rate in figures:
        print(f"{kind:8}{label:46}{rate:>12,.0f}")
    encode_ratio = figures[0][2] / figures[1][2]
    decode_ratio = figures[2][2] / figures[3][2]
    verdict = "meets" if decode_ratio >= 0.8 else "MISSES"
    print(f"\nencode: codec / raw = {encode_ratio:.2f}x")
    print(f"decode: codec / raw = {decode_ratio:.2f}x ({verdict} the 0.8x target)")


if __name__ == "__main__":
    main()
