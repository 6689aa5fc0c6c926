"""The workers' remembered partitioner picks exactly what aiokafka's default partitioner picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from processors.streaming.app import KeyPartitioner


def test_partitions_match_aiokafka_and_unknown_topics_are_left_to_it() -> None:
    partitioner = KeyPartitioner({"cl.ledger-entries": 12, "cl.dead-letters": 3}, max_keys=50)
    for n in range(300):  # past max_keys: the memory is cleared, the answers stay the same
        key = f"P{n:05d}".encode()
        for topic, count in (("cl.ledger-entries", 12), ("cl.dead-letters", 3)):
            expected = DefaultPartitioner()(key, list(range(count)), list(range(count)))
            assert partitioner.partition(topic, key) == expected
            assert partitioner.partition(topic, key) == expected  # remembered
    assert partitioner.partition("someone-elses-topic", b"P1") is None
