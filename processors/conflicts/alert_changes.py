"""The alert revisions one event causes, folded into a customer's alert map.

Separate from the rules (which only find situations) and from the processor (which only
routes events): this is where "one situation, one alert" is enforced, including which
contention episode a contention belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from processors.conflicts.alerts import AlertRecord, Finding, alert_id_for, raise_or_update
from processors.conflicts.config import ConflictConfig
from processors.conflicts.rules import Contention, contention_finding
from processors.conflicts.state import CustomerState
from schemas.outputs import ConflictAlert, Rejected


class AlertChanges:
    """Collects the alert revisions one event causes, copying the alert map at most once."""

    def __init__(self, state: CustomerState, config: ConflictConfig) -> None:
        self._state = state
        self._config = config
        self._alerts: Mapping[str, AlertRecord] = state.alerts
        self._copied: dict[str, AlertRecord] | None = None
        self.episodes: Mapping[str, tuple[str, ...]] = state.episodes
        self.outputs: list[ConflictAlert | Rejected] = []

    def fold(self, finding: Finding, alert_id: str | None = None) -> None:
        customer_id = self._state.customer_id
        if alert_id is None:
            alert_id = alert_id_for(finding.rule, customer_id, finding.product_line, finding.keys)
        record = self._alerts.get(alert_id)
        updated, alert = raise_or_update(record, finding, customer_id, self._config)
        self._store(alert_id, record, updated)
        if alert is not None:
            self.outputs.append(alert)

    def fold_contention(self, line: str, contention: Contention, trigger_at: datetime) -> None:
        """Extend the line's contention episode within reach, or start a new one."""
        records = [self._alerts[alert_id] for alert_id in self.episodes.get(line, ())]
        episode = _episode(records, contention, self._config)
        if episode is None:
            finding = contention_finding(contention, line, frozenset(), trigger_at, self._config)
            alert_id = alert_id_for(finding.rule, self._state.customer_id, line, finding.keys)
            if alert_id not in self.episodes.get(line, ()):
                self.episodes = {**self.episodes, line: (*self.episodes.get(line, ()), alert_id)}
            self.fold(finding, alert_id)
            return
        known = frozenset(p.partner_id for p in episode.alert.parties)
        alert_id = episode.alert.alert_id
        if known.issuperset(contention.first_sales):
            # The usual continuing episode: nothing new to report, only its span may grow.
            assert episode.from_day is not None and episode.until_day is not None
            from_day = min(episode.from_day, contention.from_day)
            until_day = max(episode.until_day, contention.until_day)
            if (from_day, until_day) != (episode.from_day, episode.until_day):
                self._store(alert_id, episode, episode._replace(from_day=from_day, until_day=until_day))
            return
        self.fold(contention_finding(contention, line, known, trigger_at, self._config), alert_id)

    def _store(self, alert_id: str, record: AlertRecord | None, updated: AlertRecord) -> None:
        if updated is record:
            return
        if self._copied is None:
            self._copied = dict(self._alerts)
            self._alerts = self._copied
        self._copied[alert_id] = updated

    @property
    def alerts(self) -> Mapping[str, AlertRecord]:
        return self._alerts

    def result(self) -> tuple[CustomerState, list[ConflictAlert | Rejected]]:
        """The state with the changed alerts, and the revisions to emit."""
        if self._copied is None:
            return self._state, self.outputs
        return self._state.evolve(alerts=self._copied, episodes=self.episodes), self.outputs


def _episode(
    records: Iterable[AlertRecord], contention: Contention, config: ConflictConfig
) -> AlertRecord | None:
    """Of one line's contention alerts, the one whose sales lie less than a window from these.

    (A resolved one that may already be forgotten never is: its sales lie further back.)
    """
    window_days = config.contention_window_days
    near = [
        r
        for r in records
        if r.from_day is not None
        and r.until_day is not None
        and contention.from_day - r.until_day < window_days
        and r.from_day - contention.until_day < window_days
    ]
    return min(near, key=lambda r: (r.from_day, r.alert.alert_id)) if near else None
