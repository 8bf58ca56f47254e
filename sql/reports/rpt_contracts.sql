-- rpt_contracts: each contract's value against what its commissioner has paid its provider in the
-- financial year to date, with over- and under-runs flagged. Payments are the commissioner's
-- expenditure lines naming the provider (counterparty_partner_id) in the year, with the contract's
-- funding stream, and on the contract's service line and place where the contract names them
-- (the rule the demo generator's truth manifest uses). An over-run is paid to date above the
-- annual value. A block or grant contract under-runs when paid to date is below its value pro
-- rata to the months elapsed by more than the tolerance (bound parameter, default 5%); for cost
-- and volume or spot contracts the value is a ceiling, so paying less is not flagged.
-- Grain: one row per contract and financial year it is in force.
-- Keys: contract_id, fy
-- Columns:
--   contract_id: the contract
--   ics_id: the commissioner's integrated care system (null for a commissioner serving both)
--   ics_name: the integrated care system's name
--   commissioner_id: the partner that holds the contract and pays
--   commissioner_name: the commissioner's name
--   provider_id: the partner paid
--   provider_name: the provider's name
--   provider_kind: the provider's partner kind
--   parent_contract_id: the contract this one is a subcontract of, if any
--   contract_level: delegated_budget (paid to a lead provider, which subcontracts it), subcontract
--     (under a parent contract or let by a lead provider) or direct
--   service_line: the contract's service line (null: a block over several service lines)
--   service_line_name: the service line's name
--   place_id: the place the contract serves, if it names one
--   contract_type: block, cost_and_volume, grant or spot
--   funding_stream: the contract's funding stream
--   fy: financial year, e.g. 2025-26
--   start_date: the contract's start date
--   end_date: the contract's end date
--   annual_value: the contract's value for a year, pounds
--   as_at_period: the latest month reported in the year
--   months_elapsed: months of the year reported so far while the contract was in force
--   expected_to_date: annual_value x months_elapsed / 12, rounded half up to the penny
--   paid_to_date: what the commissioner paid the provider under the contract in the year so far
--   payment_lines: number of ledger lines behind paid_to_date
--   variance_to_expected: paid_to_date - expected_to_date
--   remaining_value: annual_value - paid_to_date (negative when over-run)
--   overrun: paid_to_date - annual_value when positive, else 0
--   utilisation_pct: paid_to_date as a percentage of annual_value
--   status: overrun, underrun or within_value
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_contracts AS
WITH payments AS (
    -- the lines each contract pays: the one rule, in fct_contract_payment_lines (the drill-down lists it)
    SELECT contract_id, fy, sum(amount) AS paid_to_date, count(*) AS payment_lines
    FROM fct_contract_payment_lines
    GROUP BY ALL
),
valued AS (
    SELECT c.*, CAST(coalesce(p.paid_to_date, 0) AS DECIMAL(18, 2)) AS paid_to_date,
           coalesce(p.payment_lines, 0) AS payment_lines,
           money_ratio(c.annual_value, c.months_elapsed, 12) AS expected_to_date
    FROM fct_contract_years c
    LEFT JOIN payments p ON p.contract_id = c.contract_id AND p.fy = c.fy
)
SELECT v.contract_id, v.ics_id, ics.ics_name, v.commissioner_id, cm.partner_name AS commissioner_name,
       v.provider_id, pr.partner_name AS provider_name, pr.partner_kind AS provider_kind,
       v.parent_contract_id, v.contract_level,
       v.service_line, s.service_line_name, v.place_id, v.contract_type, v.funding_stream,
       v.fy, v.start_date, v.end_date, v.annual_value, v.as_at_period, v.months_elapsed,
       v.expected_to_date, v.paid_to_date, v.payment_lines,
       CAST(v.paid_to_date - v.expected_to_date AS DECIMAL(18, 2)) AS variance_to_expected,
       CAST(v.annual_value - v.paid_to_date AS DECIMAL(18, 2)) AS remaining_value,
       CAST(greatest(v.paid_to_date - v.annual_value, 0) AS DECIMAL(18, 2)) AS overrun,
       CAST(round(100 * v.paid_to_date / nullif(v.annual_value, 0), 2) AS DECIMAL(38, 2)) AS utilisation_pct,
       CASE WHEN v.paid_to_date > v.annual_value THEN 'overrun'
            WHEN v.contract_type IN ('block', 'grant')
                 AND v.paid_to_date
                     < v.expected_to_date * (1 - CAST($contract_underrun_tolerance_pct AS DECIMAL(18, 2)) / 100)
                 THEN 'underrun'
            ELSE 'within_value' END AS status
FROM valued v
LEFT JOIN dim_partner cm ON cm.partner_id = v.commissioner_id
LEFT JOIN dim_partner pr ON pr.partner_id = v.provider_id
LEFT JOIN dim_service_line s ON s.service_line = v.service_line
LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM ref_places) ics ON ics.ics_id = v.ics_id;
