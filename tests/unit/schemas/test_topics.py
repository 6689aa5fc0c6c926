"""The topic catalog: every record type has one home, keys exist, retention fits the role."""

from __future__ import annotations

import dataclasses

import pytest

from schemas.events import EVENT_TYPES, SaleChannel
from schemas.models import MODEL_TYPES, OUTPUT_TYPES, field_hints
from schemas.topics import (
    ALL_TOPICS,
    CONFLICT_ALERTS,
    INPUT_TOPICS,
    RETAIN_FOREVER,
    SALES,
    CleanupPolicy,
    TopicRole,
    TopicSpec,
    input_route,
    output_route,
    topic_for,
)
from tests.unit.schemas.examples import example


def test_every_record_type_has_exactly_one_topic() -> None:
    carried = [name for topic in ALL_TOPICS for name in topic.value_types]
    assert len(carried) == len(set(carried))
    # Rejected never travels: the adapters turn it into a DeadLetter first.
    assert set(carried) == set(MODEL_TYPES) - {"Rejected"}
    assert {name for topic in INPUT_TOPICS for name in topic.value_types} == set(EVENT_TYPES)


def test_topic_names_are_unique() -> None:
    assert len({topic.name for topic in ALL_TOPICS}) == len(ALL_TOPICS)


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_key_fields_exist_on_every_record_the_topic_carries(topic: TopicSpec) -> None:
    for type_name in topic.value_types:
        names = {f.name for f in dataclasses.fields(MODEL_TYPES[type_name])}
        assert topic.key_field in names
        assert topic.fallback_key_field is None or topic.fallback_key_field in names
        # the key is always a string field (possibly optional), never a money or time value
        hint = field_hints(MODEL_TYPES[type_name])[topic.key_field]
        assert hint is str or hint == str | None


def test_partner_keyed_inputs_are_co_partitioned() -> None:
    partner_keyed = [t for t in INPUT_TOPICS if t.key_field == "partner_id"]
    assert len(partner_keyed) == 6
    assert len({t.partitions for t in partner_keyed}) == 1


def test_inputs_are_the_event_log_and_kept_forever() -> None:
    for topic in INPUT_TOPICS:
        assert topic.role is TopicRole.INPUT
        assert topic.cleanup_policy is CleanupPolicy.DELETE
        assert topic.kafka_config() == {"cleanup.policy": "delete", "retention.ms": str(RETAIN_FOREVER)}


def test_alerts_are_compacted_to_their_latest_revision() -> None:
    assert CONFLICT_ALERTS.cleanup_policy is CleanupPolicy.COMPACT
    assert CONFLICT_ALERTS.key_field == "alert_id"


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_example_routes_to_its_topic_with_a_key(type_name: str) -> None:
    route = input_route(example(type_name))
    assert type_name in route.topic.value_types
    assert route.key


def test_a_partner_sale_is_keyed_by_partner_and_a_direct_sale_by_customer() -> None:
    sale = example("SaleRecorded")
    assert input_route(sale).key == "P-DE-0042"
    direct = dataclasses.replace(sale, channel=SaleChannel.DIRECT, partner_id=None)
    assert input_route(direct).topic is SALES
    assert input_route(direct).key == "C-DE-81544"


def test_an_acknowledgement_without_customer_is_keyed_by_alert() -> None:
    ack = dataclasses.replace(example("AlertAcknowledged"), customer_id="")
    assert input_route(ack).key == ack.alert_id


def test_outputs_route_to_output_topics() -> None:
    assert topic_for("LedgerEntry").role is TopicRole.OUTPUT
    assert topic_for("DeadLetter").role is TopicRole.DEAD_LETTER
    assert set(OUTPUT_TYPES) - {"Rejected"} <= {n for t in ALL_TOPICS for n in t.value_types}
    with pytest.raises(KeyError):
        topic_for("Rejected")


def test_output_route_and_prefix() -> None:
    from schemas.intake import SourcePosition, dead_letter
    from schemas.reasons import ReasonCode

    letter = dead_letter(
        b"x",
        reason_code=ReasonCode.UNDECODABLE,
        message="m",
        position=SourcePosition("cl.sales", 0, 1),
        failed_at=example("SaleRecorded").occurred_at,
    )
    route = output_route(letter)
    assert route.key == "cl.sales"
    assert route.topic.full_name("test42.") == "test42.cl.dead-letters"


def test_an_output_is_not_an_input() -> None:
    with pytest.raises(KeyError):
        input_route(object())  # type: ignore[arg-type]
