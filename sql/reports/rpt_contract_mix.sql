-- rpt_contract_mix: how each system's contracts are let: block, cost and volume, grant and spot, by
-- number and value, per financial year. Delegated budgets paid to a lead provider are left out,
-- because the lead provider lets that money again as its own subcontracts, which are counted (under
-- the lead provider's home system); counting both would count the money twice.
-- Grain: one row per ICS, financial year and contract type.
-- Keys: ics_id, fy, contract_type
-- Columns:
--   ics_id: the commissioners' integrated care system
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   contract_type: block, cost_and_volume, grant or spot
--   contracts: number of contracts of the type in force in the year
--   annual_value: their annual value, pounds
--   share_of_value_pct: annual_value as a percentage of the system's contracts' value in the year
--   paid_to_date: what has been paid under them in the year so far, pounds
CREATE OR REPLACE TABLE rpt_contract_mix AS
WITH provider_facing AS (
    SELECT * FROM rpt_contracts WHERE contract_level <> 'delegated_budget'
),
by_type AS (
    SELECT ics_id, ics_name, fy, contract_type, count(*) AS contracts,
           sum(annual_value) AS annual_value, sum(paid_to_date) AS paid_to_date
    FROM provider_facing
    GROUP BY ALL
)
SELECT ics_id, ics_name, fy, contract_type, contracts,
       CAST(annual_value AS DECIMAL(18, 2)) AS annual_value,
       CAST(round(100 * annual_value / nullif(sum(annual_value) OVER (PARTITION BY ics_id, fy), 0), 2) AS DECIMAL(38, 2))
           AS share_of_value_pct,
       CAST(paid_to_date AS DECIMAL(18, 2)) AS paid_to_date
FROM by_type;
