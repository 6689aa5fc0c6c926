"""A minimal Faust application for the plumbing test: counts words into a changelog-backed table.

Built by ``create_app`` (nothing happens at import time). Each processed word emits
``word=count`` to the ``<prefix>-counts`` topic so the test can await progress instead of
sleeping. Run: ``python faust_counter.py BOOTSTRAP PREFIX DATADIR worker``.
"""

from __future__ import annotations

import sys
from typing import Any

import faust

from processors.streaming import rewind


def create_app(bootstrap: str, prefix: str, datadir: str) -> faust.App:
    app = faust.App(
        f"{prefix}-counter",
        broker=f"kafka://{bootstrap}",
        store="memory://",  # no local state: a restart must rebuild the table from its changelog
        datadir=datadir,
        web_enabled=False,
        topic_partitions=2,
        topic_replication_factor=1,
        processing_guarantee="at_least_once",
    )
    # The worker's own consumer: stock Faust can drop the records of a partition that has no
    # committed offset yet when they arrive during the first rebalance's recovery (see
    # processors/streaming/rewind.py); this test sends its words while the worker starts.
    rewind.install(app)
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    words = app.topic(f"{prefix}-words", value_type=bytes, key_type=bytes, partitions=2, **raw)
    counts_out = app.topic(f"{prefix}-counts", value_type=bytes, key_type=bytes, partitions=1, **raw)
    table = app.Table(f"{prefix}-word-counts", default=int, partitions=2)

    @app.agent(words)
    async def count(stream: Any) -> None:
        async for word in stream:
            text = word.decode()
            table[text] += 1
            await counts_out.send(key=word, value=f"{text}={table[text]}".encode())

    return app


if __name__ == "__main__":
    bootstrap_arg, prefix_arg, datadir_arg = sys.argv[1:4]
    sys.argv = [sys.argv[0], *sys.argv[4:]]
    create_app(bootstrap_arg, prefix_arg, datadir_arg).main()
