"""The stateless gate every input record passes: an accepted event, or a dead letter.

Stream adapters call ``accept`` on each record's bytes; nothing here raises on bad input, so a
worker never crashes on it and nothing is lost: the refused bytes travel on in the dead letter
with the reason and the position they came from. The core's own refusals (``Rejected``) become
dead letters through ``from_rejected``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.codec import DecodeError, decode
from schemas.events import Event, InputEvent
from schemas.models import is_input_event
from schemas.outputs import DeadLetter, Rejected
from schemas.problems import Problem
from schemas.reasons import ReasonCode
from schemas.validation import validate

MAX_MESSAGE_CHARS = 2000
"""Dead-letter messages are cut here: one record can list many problems, a topic should not."""


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """Where a record was read: its topic (full name), partition and offset."""

    topic: str
    partition: int
    offset: int


def dead_letter(
    original: bytes,
    *,
    reason_code: ReasonCode,
    message: str,
    position: SourcePosition,
    failed_at: datetime,
    event_id: str | None = None,
    event_type: str | None = None,
) -> DeadLetter:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return DeadLetter(
        reason_code=reason_code.value,
        message=message,
        original=original,
        source_topic=position.topic,
        source_partition=position.partition,
        source_offset=position.offset,
        failed_at=failed_at,
        event_id=event_id,
        event_type=event_type,
    )


def from_problems(
    original: bytes,
    problems: Sequence[Problem],
    *,
    event: Event | None,
    position: SourcePosition,
    failed_at: datetime,
) -> DeadLetter:
    """One dead letter for all of a record's problems; the first one's code is the reason."""
    if not problems:
        raise ValueError("a dead letter needs at least one problem")
    return dead_letter(
        original,
        reason_code=problems[0].reason_code,
        message="; ".join(str(problem) for problem in problems),
        position=position,
        failed_at=failed_at,
        event_id=None if event is None else event.event_id,
        event_type=None if event is None else event.event_type,
    )


def from_rejected(
    rejected: Rejected, original: bytes, *, position: SourcePosition, failed_at: datetime
) -> DeadLetter:
    """The dead letter for an event the core refused (unknown partner, duplicate id, ...)."""
    try:
        reason_code = ReasonCode(rejected.reason_code)
    except ValueError:  # the core only uses ReasonCode values; keep an unforeseen one readable
        reason_code = ReasonCode.SCHEMA_VIOLATION
    return dead_letter(
        original,
        reason_code=reason_code,
        message=rejected.message if reason_code.value == rejected.reason_code else str(rejected),
        position=position,
        failed_at=failed_at,
        event_id=rejected.event_id,
        event_type=rejected.event_type,
    )


def accept(
    data: bytes,
    *,
    position: SourcePosition,
    reference_time: datetime,
    max_future_skew: timedelta,
    failed_at: datetime | None = None,
    allowed_types: Collection[str] | None = None,
) -> InputEvent | DeadLetter:
    """Decode and validate one record.

    ``allowed_types`` is what the consumed topic carries (``TopicSpec.value_types``); an event
    of another type is refused as WRONG_TOPIC rather than fed to the wrong processor.
    ``failed_at`` (default ``reference_time``) stamps a dead letter.
    """
    stamp = reference_time if failed_at is None else failed_at
    try:
        model = decode(data)
    except DecodeError as exc:
        return dead_letter(
            data, reason_code=exc.reason_code, message=exc.message, position=position, failed_at=stamp
        )
    type_name = type(model).__name__
    if not isinstance(model, Event) or not is_input_event(model):
        problem = Problem(ReasonCode.UNKNOWN_EVENT_TYPE, "event_type", f"{type_name} is not an input event")
        return from_problems(data, [problem], event=None, position=position, failed_at=stamp)
    if allowed_types is not None and type_name not in allowed_types:
        problem = Problem(
            ReasonCode.WRONG_TOPIC, "event_type", f"{type_name} does not belong on {position.topic}"
        )
        return from_problems(data, [problem], event=model, position=position, failed_at=stamp)
    problems = validate(model, reference_time=reference_time, max_future_skew=max_future_skew)
    if problems:
        return from_problems(data, problems, event=model, position=position, failed_at=stamp)
    return model
