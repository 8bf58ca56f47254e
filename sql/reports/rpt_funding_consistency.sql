-- rpt_funding_consistency: like services funded unlike: contracts for the same service line, with
-- the same unit of capacity and the same kind of provider, compared side by side per financial
-- year. A contract is flagged when its funding stream or contract type differs from the one most
-- of its like contracts share (every contract of a group split evenly is flagged), or when its
-- value per unit of capacity is more than the threshold (bound parameter, default 25%) above or
-- below the median of the group. Contracts without a capacity cannot be compared per unit and
-- are left out. The provider's own spend on the service (its ledger's expenditure on the service
-- line, at the contract's place when it names one) is shown beside the contract's value.
-- Grain: one row per contract with a capacity and financial year it is in force.
-- Keys: contract_id, fy
-- Columns:
--   fy: financial year, e.g. 2025-26
--   service_line: the service line compared
--   service_line_name: the service line's name
--   capacity_unit: the unit of capacity, e.g. beds
--   provider_kind: the kind of provider compared (nhs_trust, vcse, independent, ...)
--   contract_id: the contract
--   commissioner_id: the partner that holds the contract
--   commissioner_name: the commissioner's name
--   provider_id: the partner paid
--   provider_name: the provider's name
--   place_id: the place the contract serves, if any
--   place_name: the place's name ('System-wide' when none)
--   contract_type: block, cost_and_volume, grant or spot
--   funding_stream: the contract's funding stream
--   annual_value: the contract's annual value, pounds
--   capacity: the contract's capacity in capacity_unit
--   value_per_unit: annual_value / capacity, rounded half up to the penny
--   provider_spend: the provider's own expenditure on the service line (and place) in the year,
--     pounds; null when the provider sends no ledger
--   provider_spend_per_unit: provider_spend / capacity, rounded half up to the penny
--   like_contracts: number of contracts in the group compared
--   like_funding_streams: the group's funding streams with their number of contracts,
--     e.g. '2 recurrent, 1 non_recurrent'
--   like_contract_types: the group's contract types with their number of contracts, e.g. '2 block, 1 grant'
--   median_value_per_unit: the median value per unit of the group, pounds
--   value_vs_median_pct: how far value_per_unit is above (+) or below (-) the median, percent
--   funding_stream_differs: true when the contract's stream is not the one most of the group share
--   contract_type_differs: true when the contract's type is not the one most of the group share
--   unit_cost_differs: true when value_vs_median_pct is beyond the threshold either way
--   flagged: true when any of the three differs
--   flag_reasons: the differences in words, e.g.
--     'funding stream non_recurrent (like contracts: 2 recurrent, 1 non_recurrent)'
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_funding_consistency AS
WITH contracts_with_capacity AS (
    SELECT c.contract_id, c.fy, c.service_line, c.service_line_name, rc.capacity_unit, c.provider_kind,
           c.commissioner_id, c.commissioner_name, c.provider_id, c.provider_name, c.place_id,
           c.contract_type, c.funding_stream, c.annual_value, rc.capacity,
           money_ratio(c.annual_value, 100, CAST(rc.capacity * 100 AS HUGEINT)) AS value_per_unit
    FROM rpt_contracts c
    JOIN ref_contracts rc ON rc.contract_id = c.contract_id
    WHERE rc.capacity > 0
),
provider_expenditure AS (
    -- each provider's expenditure summed to the keys a contract can name, before the join
    -- (by month first, its fy worked out per month: exact, DECIMAL sums of the same type; the view's fy,
    -- built as text for every line read, cost more than the grouping)
    SELECT partner_id, fy_of(period) AS fy, service_line, place_id, sum(amount) AS amount
    FROM (SELECT partner_id, period, service_line, place_id, sum(amount) AS amount
          FROM fct_ledger
          WHERE line_type = 'expenditure'
          GROUP BY ALL)
    GROUP BY ALL
),
provider_spend AS (
    SELECT c.contract_id, c.fy, sum(l.amount) AS provider_spend
    FROM contracts_with_capacity c
    JOIN dim_partner p ON p.partner_id = c.provider_id AND p.submits
    LEFT JOIN provider_expenditure l
           ON l.partner_id = c.provider_id AND l.fy = c.fy
          AND l.service_line = c.service_line AND (c.place_id IS NULL OR l.place_id = c.place_id)
    GROUP BY ALL
),
stream_counts AS (
    SELECT fy, service_line, capacity_unit, provider_kind, funding_stream, count(*) AS contracts
    FROM contracts_with_capacity GROUP BY ALL
),
type_counts AS (
    SELECT fy, service_line, capacity_unit, provider_kind, contract_type, count(*) AS contracts
    FROM contracts_with_capacity GROUP BY ALL
),
like_groups AS (
    -- like contracts: same year, service line, unit of capacity and kind of provider
    SELECT fy, service_line, capacity_unit, provider_kind, count(*) AS like_contracts,
           median(value_per_unit) AS median_value_per_unit
    FROM contracts_with_capacity
    GROUP BY ALL
),
group_streams AS (
    SELECT fy, service_line, capacity_unit, provider_kind, count(*) AS streams_in_group,
           string_agg(contracts || ' ' || funding_stream, ', ' ORDER BY contracts DESC, funding_stream)
               AS like_funding_streams
    FROM stream_counts GROUP BY ALL
),
group_types AS (
    SELECT fy, service_line, capacity_unit, provider_kind, count(*) AS types_in_group,
           string_agg(contracts || ' ' || contract_type, ', ' ORDER BY contracts DESC, contract_type)
               AS like_contract_types
    FROM type_counts GROUP BY ALL
),
share_counts AS (
    SELECT *,
           count(*) OVER (PARTITION BY fy, service_line, capacity_unit, provider_kind, funding_stream) AS same_stream,
           count(*) OVER (PARTITION BY fy, service_line, capacity_unit, provider_kind, contract_type) AS same_type
    FROM contracts_with_capacity
),
group_facts AS (
    SELECT c.*, g.like_contracts, gs.like_funding_streams, gt.like_contract_types, gs.streams_in_group,
           gt.types_in_group, g.median_value_per_unit,
           max(c.same_stream) OVER like_group AS commonest_stream_count,
           max(c.same_type) OVER like_group AS commonest_type_count
    FROM share_counts c
    JOIN like_groups g USING (fy, service_line, capacity_unit, provider_kind)
    JOIN group_streams gs USING (fy, service_line, capacity_unit, provider_kind)
    JOIN group_types gt USING (fy, service_line, capacity_unit, provider_kind)
    WINDOW like_group AS (PARTITION BY c.fy, c.service_line, c.capacity_unit, c.provider_kind)
),
compared AS (
    SELECT *,
           CAST(round(100 * (value_per_unit / nullif(median_value_per_unit, 0) - 1), 2) AS DECIMAL(38, 2))
               AS value_vs_median_pct,
           streams_in_group > 1 AND (same_stream < commonest_stream_count
               OR commonest_stream_count * streams_in_group = like_contracts) AS funding_stream_differs,
           types_in_group > 1 AND (same_type < commonest_type_count
               OR commonest_type_count * types_in_group = like_contracts) AS contract_type_differs
    FROM group_facts
),
judged AS (
    SELECT *, abs(value_vs_median_pct) > CAST($unit_cost_threshold_pct AS DECIMAL(18, 2)) AS unit_cost_differs
    FROM compared
)
SELECT j.fy, j.service_line, j.service_line_name, j.capacity_unit, j.provider_kind, j.contract_id,
       j.commissioner_id, j.commissioner_name, j.provider_id, j.provider_name,
       j.place_id, coalesce(pl.place_name, 'System-wide') AS place_name,
       j.contract_type, j.funding_stream, j.annual_value, j.capacity, j.value_per_unit,
       CAST(s.provider_spend AS DECIMAL(18, 2)) AS provider_spend,
       money_ratio(s.provider_spend, 100, CAST(j.capacity * 100 AS HUGEINT)) AS provider_spend_per_unit,
       j.like_contracts, j.like_funding_streams, j.like_contract_types,
       CAST(j.median_value_per_unit AS DECIMAL(18, 2)) AS median_value_per_unit, j.value_vs_median_pct,
       j.funding_stream_differs, j.contract_type_differs, j.unit_cost_differs,
       j.funding_stream_differs OR j.contract_type_differs OR j.unit_cost_differs AS flagged,
       nullif(concat_ws('; ',
           CASE WHEN j.funding_stream_differs
                THEN format('funding stream {} (like contracts: {})', j.funding_stream, j.like_funding_streams) END,
           CASE WHEN j.contract_type_differs
                THEN format('contract type {} (like contracts: {})', j.contract_type, j.like_contract_types) END,
           CASE WHEN j.unit_cost_differs
                THEN format('value per {} {}% {} the median', rtrim(j.capacity_unit, 's'),
                            abs(j.value_vs_median_pct),
                            CASE WHEN j.value_vs_median_pct > 0 THEN 'above' ELSE 'below' END)
                END), '') AS flag_reasons
FROM judged j
LEFT JOIN provider_spend s ON s.contract_id = j.contract_id AND s.fy = j.fy
LEFT JOIN ref_places pl ON pl.place_id = j.place_id;
