-- Conflict alerts not yet resolved, most severe first, per rule.
SELECT
    severity,
    rule_id,
    count() AS open_alerts,
    countIf(status = 'ACKNOWLEDGED') AS acknowledged,
    min(first_detected_at) AS oldest_detected_at
FROM alerts
WHERE status != 'RESOLVED'
GROUP BY severity, rule_id
ORDER BY indexOf(['critical', 'high', 'medium', 'low'], severity), open_alerts DESC, rule_id
