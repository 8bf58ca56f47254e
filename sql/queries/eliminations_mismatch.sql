-- eliminations_mismatch: payments between partners of the system that the two ledgers do
-- not agree on, by payer, payee and month: what the payer's ledger shows paid (expenditure
-- lines naming the payee) against what the payee's ledger shows received (income lines
-- naming the payer, as positive pounds). Only pairs where both partners submit ledgers
-- are compared; a difference of more than the tolerance is listed.
-- params: fy (financial year YYYY-YY, default: all), tolerance (pounds, default: 0)
-- example: openbook query eliminations_mismatch --fy 2025-26 --tolerance 100
WITH paid AS (
    SELECT partner_id AS payer_id, counterparty_partner_id AS payee_id, period, fy, sum(amount) AS payer_amount
    FROM fct_ledger
    WHERE line_type = 'expenditure' AND counterparty_partner_id IS NOT NULL
      AND counterparty_partner_id <> partner_id
    GROUP BY ALL
),
received AS (
    SELECT counterparty_partner_id AS payer_id, partner_id AS payee_id, period, fy, -sum(amount) AS payee_amount
    FROM fct_ledger
    WHERE line_type = 'income' AND counterparty_partner_id IS NOT NULL
      AND counterparty_partner_id <> partner_id
    GROUP BY ALL
),
both_sides AS (
    SELECT coalesce(p.payer_id, r.payer_id) AS payer_id, coalesce(p.payee_id, r.payee_id) AS payee_id,
           coalesce(p.period, r.period) AS period, coalesce(p.fy, r.fy) AS fy,
           coalesce(p.payer_amount, 0) AS payer_amount, coalesce(r.payee_amount, 0) AS payee_amount
    FROM paid p
    FULL JOIN received r ON r.payer_id = p.payer_id AND r.payee_id = p.payee_id AND r.period = p.period
)
SELECT b.payer_id, b.payee_id, b.period, b.payer_amount, b.payee_amount,
       b.payer_amount - b.payee_amount AS difference
FROM both_sides b
JOIN dim_partner payer ON payer.partner_id = b.payer_id AND payer.submits
JOIN dim_partner payee ON payee.partner_id = b.payee_id AND payee.submits
WHERE ($fy IS NULL OR b.fy = $fy)
  AND abs(b.payer_amount - b.payee_amount) > CAST($tolerance AS DECIMAL(18, 2))
ORDER BY abs(b.payer_amount - b.payee_amount) DESC, b.period, b.payer_id, b.payee_id;
