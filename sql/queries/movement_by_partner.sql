-- movement_by_partner: each partner's mental-health expenditure in a month against the
-- month before, with the movement in pounds and per cent (largest movements first).
-- params: period (YYYY-MM, default: latest)
-- example: openbook query movement_by_partner --period 2025-11
WITH chosen AS (
    SELECT p.period,
           strftime(CAST(strptime(p.period || '-01', '%Y-%m-%d') AS DATE) - INTERVAL 1 MONTH, '%Y-%m') AS previous
    FROM (SELECT coalesce($period, (SELECT max(period) FROM rpt_mh_spend)) AS period) AS p
),
by_partner AS (
    SELECT s.partner_id, any_value(s.partner_name) AS partner_name, any_value(s.partner_kind) AS partner_kind,
           coalesce(sum(s.spend) FILTER (WHERE s.period = c.period), 0) AS this_month,
           coalesce(sum(s.spend) FILTER (WHERE s.period = c.previous), 0) AS last_month
    FROM rpt_mh_spend s
    JOIN chosen c ON s.period IN (c.period, c.previous)
    GROUP BY s.partner_id
)
SELECT b.partner_id, b.partner_name, b.partner_kind, c.period, c.previous AS previous_period,
       b.this_month, b.last_month, b.this_month - b.last_month AS movement,
       round(100 * CAST(b.this_month - b.last_month AS DOUBLE) / nullif(abs(CAST(b.last_month AS DOUBLE)), 0), 1)
           AS movement_pct
FROM by_partner b, chosen c
ORDER BY abs(b.this_month - b.last_month) DESC, b.partner_id;
