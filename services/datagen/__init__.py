"""Synthetic channel data: a seeded, deterministic, streaming generator of input events.

``generate_records(config)`` yields valid events (tagged when late or staged to raise a
conflict) and injected invalid payloads (with the reason code validation must give);
``generate(config)`` only the valid events. ``write_jsonl`` / ``write_avro`` write them to
files, ``read_avro_records`` reads the length-prefixed Avro file back.
"""

from services.datagen.config import DEFAULT_PROGRAMS_DIR, DatagenConfig, DatagenConfigError
from services.datagen.generator import generate, generate_records
from services.datagen.payloads import UNKNOWN_EVENT_TYPE_NAME, avro_record, json_line
from services.datagen.records import GeneratedRecord, InvalidKind, InvalidRecord, ValidRecord
from services.datagen.writers import (
    FramingError,
    WriteSummary,
    read_avro_records,
    read_jsonl_lines,
    write_avro,
    write_jsonl,
)

__all__ = [
    "DEFAULT_PROGRAMS_DIR",
    "UNKNOWN_EVENT_TYPE_NAME",
    "DatagenConfig",
    "DatagenConfigError",
    "FramingError",
    "GeneratedRecord",
    "InvalidKind",
    "InvalidRecord",
    "ValidRecord",
    "WriteSummary",
    "avro_record",
    "generate",
    "generate_records",
    "json_line",
    "read_avro_records",
    "read_jsonl_lines",
    "write_avro",
    "write_jsonl",
]
