-- submission_movement: each current submission's expenditure against the same partner's
-- previous month, for the month-on-month movement check.
-- Grain: one row per current submission of the period.
SELECT cur.load_id, cur.partner_id, cur.expenditure, prev.expenditure AS previous_expenditure,
       cur.expenditure - prev.expenditure AS movement,
       CASE WHEN prev.expenditure IS NULL OR prev.expenditure = 0 THEN NULL
            ELSE round(100 * (cur.expenditure - prev.expenditure) / abs(prev.expenditure), 1) END AS movement_pct
FROM (
    SELECT load_id, partner_id, sum(amount) FILTER (WHERE line_type = 'expenditure') AS expenditure
    FROM stg_ledger WHERE period = $period GROUP BY ALL
) cur
LEFT JOIN (
    SELECT partner_id, sum(amount) FILTER (WHERE line_type = 'expenditure') AS expenditure
    FROM stg_ledger WHERE period = $previous_period GROUP BY ALL
) prev USING (partner_id)
ORDER BY cur.partner_id
