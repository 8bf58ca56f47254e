-- fct_contract_years: each contract in each financial year it is in force (a reported month falls between
-- its start and end), with the months of the year reported while it was, its commissioner's system and
-- its level - the one rule rpt_contracts values and fct_contract_payment_lines ties ledger lines to.
-- A table, built each run: reference contracts over the months the ledger reports (its readers, the
-- fct_contract_payment_lines view and rpt_contracts, would otherwise compute it over every line each time).
-- Grain: one row per contract and financial year it is in force.
-- Keys: contract_id, fy
-- Columns:
--   contract_id: the contract
--   commissioner_id: the partner that holds the contract and pays
--   provider_id: the partner paid
--   parent_contract_id: the contract this one is a subcontract of, if any
--   contract_level: delegated_budget (paid to a lead provider, which subcontracts it), subcontract
--     (under a parent contract or let by a lead provider) or direct
--   ics_id: the commissioner's integrated care system (null for a commissioner serving both)
--   service_line: the contract's service line (null: a block over several service lines)
--   place_id: the place the contract serves, if it names one
--   contract_type: block, cost_and_volume, grant or spot
--   funding_stream: the contract's funding stream
--   start_date: the contract's start date
--   end_date: the contract's end date
--   annual_value: the contract's value for a year, pounds
--   fy: financial year, e.g. 2025-26
--   as_at_period: the latest month reported in the year
--   months_elapsed: months of the year reported so far while the contract was in force
CREATE OR REPLACE TABLE fct_contract_years AS
WITH months_reported AS (
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    SELECT period, fy_of(period) AS fy, CAST(period || '-01' AS DATE) AS month_start
    FROM (SELECT DISTINCT period FROM fct_ledger)
),
in_force AS (
    SELECT c.contract_id, c.commissioner_id, c.provider_id, c.parent_contract_id, c.service_line, c.place_id,
           c.contract_type, c.funding_stream, c.start_date, c.end_date, c.annual_value,
           m.fy, max(m.period) AS as_at_period, count(*) AS months_elapsed
    FROM ref_contracts c
    JOIN months_reported m ON m.month_start BETWEEN date_trunc('month', c.start_date) AND c.end_date
    GROUP BY ALL
)
SELECT f.contract_id, f.commissioner_id, f.provider_id, f.parent_contract_id,
       CASE WHEN pr.partner_kind = 'lead_provider' THEN 'delegated_budget'
            WHEN f.parent_contract_id IS NOT NULL OR cm.partner_kind = 'lead_provider' THEN 'subcontract'
            ELSE 'direct' END AS contract_level,
       cm.ics_id, f.service_line, f.place_id, f.contract_type, f.funding_stream, f.start_date, f.end_date,
       f.annual_value, f.fy, f.as_at_period, f.months_elapsed
FROM in_force f
LEFT JOIN dim_partner cm ON cm.partner_id = f.commissioner_id
LEFT JOIN dim_partner pr ON pr.partner_id = f.provider_id;
