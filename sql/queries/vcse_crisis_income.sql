-- vcse_crisis_income: how much each voluntary-sector (VCSE) partner received for crisis
-- services in a quarter, and from which funding stream and funder: income lines in the
-- VCSE partners' own ledgers on crisis service lines (those whose id starts "crisis"),
-- shown as positive pounds received. A VCSE partner with no crisis income in the quarter
-- has one row with 0.00. The quarter is the last complete financial quarter (Apr-Jun,
-- Jul-Sep, Oct-Dec, Jan-Mar) up to the period given.
-- params: period (YYYY-MM, default: latest)
-- example: openbook query vcse_crisis_income --period 2025-12
WITH latest AS (
    SELECT coalesce($period, (SELECT max(period) FROM fct_ledger)) AS period
),
quarter AS (
    -- step back from the period to the last quarter end (Mar, Jun, Sep, Dec):
    -- 2026-03 -> Jan-Mar 2026, 2025-11 -> Jul-Sep 2025
    SELECT strftime(q_end - INTERVAL 2 MONTH, '%Y-%m') AS first_period,
           strftime(q_end, '%Y-%m') AS last_period
    FROM (SELECT CAST(strptime(period || '-01', '%Y-%m-%d') AS DATE) AS d FROM latest) AS p,
         LATERAL (SELECT CAST(d - INTERVAL (month(d) % 3) MONTH AS DATE) AS q_end)
),
income AS (
    SELECT l.partner_id, l.service_line, l.funding_stream, l.counterparty_partner_id AS funder_id,
           coalesce(f.partner_name, l.counterparty) AS funder,
           -sum(l.amount) AS received, count(*) AS ledger_lines
    FROM fct_ledger l
    JOIN quarter q ON l.period BETWEEN q.first_period AND q.last_period
    LEFT JOIN dim_partner f ON f.partner_id = l.counterparty_partner_id
    WHERE l.partner_kind = 'vcse'
      AND l.line_type = 'income'
      AND l.service_line LIKE 'crisis%'
    GROUP BY ALL
)
SELECT v.partner_id, v.partner_name,
       fy_of(q.last_period) || ' Q' || CAST((fy_month_of(q.last_period) + 2) // 3 AS VARCHAR) AS quarter,
       q.first_period, q.last_period,
       i.service_line, i.funding_stream, i.funder_id, i.funder,
       coalesce(i.received, 0) AS received, coalesce(i.ledger_lines, 0) AS ledger_lines
FROM dim_partner v
CROSS JOIN quarter q
LEFT JOIN income i ON i.partner_id = v.partner_id
WHERE v.partner_kind = 'vcse'
ORDER BY v.partner_name, i.service_line, i.funding_stream, i.funder_id;
