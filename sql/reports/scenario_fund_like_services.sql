-- scenario_fund_like_services: a `fund_like_services` change: every contract for service_line with
-- capacity in capacity_unit (e.g. all crisis houses, in beds) is paid through one block model at one
-- price: annual_price_per_unit x capacity a year, a twelfth a month (rounded half up to the penny),
-- from the funding stream funding_stream. For each month of periods each such contract is in force:
-- the commissioner's payments under the contract that month (its expenditure lines paying the
-- provider, with the contract's funding stream, service line and place - the rule of rpt_contracts)
-- are reversed and the block payment booked instead, on the same cost centre and scheme. A provider
-- that sends its own ledger books the same change as income, so the two sides still agree.
-- Grain: rows of scenario_change_lines per contract and month: the reversals, the block payment and,
-- for a submitting provider, its two income adjustments.
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

INSERT INTO scenario_change_lines BY NAME
WITH months AS (
    SELECT unnest(CAST($periods AS VARCHAR[])) AS period
),
like_contracts AS (
    SELECT c.*, m.period
    FROM ref_contracts c
    JOIN months m ON CAST(m.period || '-01' AS DATE) BETWEEN date_trunc('month', c.start_date) AND c.end_date
    WHERE c.service_line = $service_line AND c.capacity_unit = $capacity_unit AND c.capacity > 0
),
paid AS (
    SELECT c.contract_id, l.*
    FROM like_contracts c
    JOIN fct_ledger l
      ON l.partner_id = c.commissioner_id AND l.counterparty_partner_id = c.provider_id AND l.period = c.period
     AND l.line_type = 'expenditure' AND l.funding_stream = c.funding_stream
     AND (c.service_line IS NULL OR l.service_line = c.service_line)
     AND (c.place_id IS NULL OR l.place_id = c.place_id)
),
paid_per_month AS (
    SELECT contract_id, period, sum(amount) AS old_amount, any_value(cost_centre) AS cost_centre,
           any_value(scheme_id) AS scheme_id, any_value(counterparty) AS counterparty,
           any_value(funding_stream) AS old_stream
    FROM paid GROUP BY ALL
),
block AS (
    SELECT c.contract_id, c.commissioner_id, c.provider_id, c.service_line, c.place_id, c.period,
           c.funding_stream AS old_stream, coalesce(p.old_amount, 0) AS old_amount,
           coalesce(p.cost_centre,
                    (SELECT min(m.cost_centre) FROM ref_cost_centre_map m
                     WHERE m.partner_id = c.commissioner_id AND m.service_line = c.service_line
                       AND m.place_id IS NOT DISTINCT FROM c.place_id AND m.line_type = 'expenditure'),
                    'SCENARIO') AS cost_centre,
           p.scheme_id, coalesce(p.counterparty, pr.partner_name) AS counterparty, pr.submits AS provider_submits,
           money_ratio(CAST($annual_price_per_unit AS DECIMAL(18, 2)), CAST(c.capacity * 100 AS HUGEINT), 1200)
               AS new_amount
    FROM like_contracts c
    LEFT JOIN paid_per_month p ON p.contract_id = c.contract_id AND p.period = c.period
    LEFT JOIN dim_partner pr ON pr.partner_id = c.provider_id
),
payee_cost_centre AS (
    SELECT b.contract_id, b.period, min(l.cost_centre) AS cost_centre
    FROM block b
    JOIN fct_ledger l
      ON l.partner_id = b.provider_id AND l.counterparty_partner_id = b.commissioner_id AND l.period = b.period
     AND l.line_type = 'income' AND l.service_line = b.service_line AND l.funding_stream = b.old_stream
    GROUP BY ALL
)
SELECT $change_no AS change_no, 'fund_like_services' AS change_kind, partner_id, place_id, period, cost_centre,
       counterparty, counterparty_partner_id, -amount AS amount, funding_stream, service_line, line_type, scheme_id,
       format('payment under {} reversed', contract_id) AS note
FROM paid
UNION ALL
SELECT $change_no, 'fund_like_services', commissioner_id, place_id, period, cost_centre, counterparty, provider_id,
       new_amount, $funding_stream, service_line, 'expenditure', scheme_id,
       format('block payment under {}: £{} a {} a year', contract_id,
              format('{:,.2f}', CAST($annual_price_per_unit AS DECIMAL(18, 2))), rtrim($capacity_unit, 's'))
FROM block
UNION ALL
SELECT $change_no, 'fund_like_services', b.provider_id, NULL, b.period, coalesce(p.cost_centre, 'SCENARIO'),
       NULL, b.commissioner_id, b.old_amount, b.old_stream, b.service_line, 'income', NULL,
       format('income under {} reversed', b.contract_id)
FROM block b
LEFT JOIN payee_cost_centre p ON p.contract_id = b.contract_id AND p.period = b.period
WHERE b.provider_submits AND b.old_amount <> 0
UNION ALL
SELECT $change_no, 'fund_like_services', b.provider_id, NULL, b.period, coalesce(p.cost_centre, 'SCENARIO'),
       NULL, b.commissioner_id, -b.new_amount, $funding_stream, b.service_line, 'income', NULL,
       format('block income under {}', b.contract_id)
FROM block b
LEFT JOIN payee_cost_centre p ON p.contract_id = b.contract_id AND p.period = b.period
WHERE b.provider_submits;
