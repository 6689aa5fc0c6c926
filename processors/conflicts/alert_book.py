"""A pure fold over alert revisions: the latest revision per alert, open alerts, and the
mean time to resolve measured in business time.

It reads the alert topic (all rules, from both processors) and needs nothing else:
revisions may come twice or out of order, the highest revision of an alert wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.outputs import AlertStatus, ConflictAlert


@dataclass(frozen=True, slots=True)
class AlertTrack:
    """One alert: its latest revision, when it was raised and when last resolved.

    ``raised_at`` is revision 1's ``detected_at`` (None if that revision was never seen);
    ``resolved_at`` is the resolving revision's ``detected_at`` while the alert stays resolved.
    """

    latest: ConflictAlert
    raised_at: datetime | None
    resolved_at: datetime | None

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.raised_at is None or self.resolved_at is None:
            return None
        return self.resolved_at - self.raised_at


@dataclass(frozen=True, slots=True)
class AlertBook:
    tracks: Mapping[str, AlertTrack] = field(default_factory=dict)

    def add(self, alert: ConflictAlert) -> AlertBook:
        tracks = dict(self.tracks)
        _step(tracks, alert)
        return AlertBook(tracks)

    def open_alerts(self, customer_id: str | None = None) -> list[ConflictAlert]:
        """Latest revisions not resolved (OPEN or ACKNOWLEDGED), oldest situation first."""
        return sorted(
            (
                t.latest
                for t in self.tracks.values()
                if t.latest.status is not AlertStatus.RESOLVED
                and (customer_id is None or t.latest.customer_id == customer_id)
            ),
            key=lambda a: (a.occurred_at, a.alert_id),
        )

    def mean_time_to_resolve(self) -> timedelta | None:
        """Mean of resolved-at minus raised-at over resolved alerts; None if there are none."""
        durations = [d for t in self.tracks.values() if (d := t.time_to_resolve) is not None]
        if not durations:
            return None
        return sum(durations, timedelta()) / len(durations)


def fold(alerts: Iterable[ConflictAlert], book: AlertBook | None = None) -> AlertBook:
    """``book`` (or an empty one) with ``alerts`` added, in the order given."""
    tracks = dict(book.tracks) if book is not None else {}
    for alert in alerts:
        _step(tracks, alert)
    return AlertBook(tracks)


def _step(tracks: dict[str, AlertTrack], alert: ConflictAlert) -> None:
    known = tracks.get(alert.alert_id)
    raised_at = alert.detected_at if alert.revision == 1 else (known.raised_at if known else None)
    if known is None or alert.revision > known.latest.revision:
        resolved_at = alert.detected_at if alert.status is AlertStatus.RESOLVED else None
        tracks[alert.alert_id] = AlertTrack(alert, raised_at, resolved_at)
    elif raised_at != known.raised_at:
        tracks[alert.alert_id] = AlertTrack(known.latest, raised_at, known.resolved_at)
