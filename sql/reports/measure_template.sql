-- rpt_variation: measures of variation between places (or systems), one YAML definition each in
-- sql/measures/, all computed by this one template (assets/measures.py binds a measure's
-- definition as parameters and runs it once per measure). For each unit and financial year:
-- numerator (mental-health ledger lines filtered by the measure, net of eliminations unless the
-- measure says gross), denominator from a fixed registry (weighted_population,
-- mh_weighted_population; need_weighted_population is its older name), the rate per head and a funnel plot against the pooled rate.
-- Funnel method (Spiegelhalter 2005 and 2012, as NHS funnel plots such as the SHMI's and the
-- NHS-R FunnelPlotR package use it): the Poisson approximation for a rate, var = pooled rate /
-- denominator, plus an additive random-effects term for variation between units that does not
-- shrink with population (money is not a count, so the Poisson variance alone would put every unit
-- outside the limits). z-scores against the pooled rate are winsorised at their 10th and 90th
-- percentiles (linear interpolation), phi = mean of their squares, and the between-unit variance
-- tau^2 = max(0, (k x phi - (k - 1)) / (sum w - sum w^2 / sum w)) with w = denominator / pooled
-- rate (DerSimonian-Laird). Limits are pooled rate -/+ z x sqrt(pooled rate / denominator + tau^2),
-- lower limits floored at 0, z from the measure's thresholds (default 1.96 for 95%, 3.09 for 99.8%).
-- When the pooled rate is not positive (e.g. an income measure) there are no limits and no flags.
-- Grain: one row per measure, financial year and unit.
-- Keys: measure_id, fy, unit_id
-- Columns:
--   measure_id: the measure (its file name in sql/measures/, without .yaml)
--   measure_name: the measure's title
--   grouping: the kind of unit compared: place or ics
--   denominator_name: the denominator from the registry, e.g. weighted_population
--   basis: net (payments to other submitting partners eliminated) or gross
--   unit_id: the place (or ICS) compared
--   unit_name: its name
--   ics_id: the unit's integrated care system
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   months_reported: months of the year in the ledger (12 = a complete year)
--   numerator: the unit's spend on the measure's lines in the year, pounds
--   denominator: the unit's denominator for the year, e.g. weighted population
--   rate: numerator / denominator, pounds per head, rounded half up to 4 decimal places
--   pooled_rate: sum of numerators / sum of denominators over every unit of the year, pounds per head
--   overdispersion_phi: mean squared winsorised Poisson z-score of the year's units (1 = Poisson)
--   between_unit_sd: tau, the standard deviation of rates between units added to the Poisson
--     variance, pounds per head (0 when the units are not over-dispersed)
--   lower_998: lower 99.8% funnel limit for the unit's denominator, pounds per head
--   lower_95: lower 95% funnel limit
--   upper_95: upper 95% funnel limit
--   upper_998: upper 99.8% funnel limit
--   z_score: (rate - pooled rate) / sqrt(pooled rate / denominator + tau^2) (a statistic, DOUBLE)
--   decile: decile of the unit's rate among the year's units, 1 (lowest) to 10 (highest): ceil(10 x n / k)
--     where n units have a rate at or below the unit's and k units are compared
--   flag: none, above_95, above_998, below_95 or below_998 (outside the 95% or 99.8% limits)
--   higher_is_better: the measure's direction
--   assessment: favourable or unfavourable when flagged (by the measure's direction), else none
--   expected_numerator: the unit's spend were it at the pooled rate, pounds (rounded half up)
--   difference_vs_pooled: numerator - expected_numerator: the size of the variation in pounds
--   units: number of units compared in the year
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TEMP MACRO rate_per_head(amount, heads) AS
    -- amount / heads rounded half up to 4 decimal places in exact integer arithmetic (heads > 0)
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT))
              * ((2 * abs(CAST(amount * 100 AS HUGEINT)) * 10000 + CAST(heads * 100 AS HUGEINT))
                 // (2 * CAST(heads * 100 AS HUGEINT)))
         AS DECIMAL(38, 0)) * 0.0001 AS DECIMAL(18, 4));

CREATE TABLE IF NOT EXISTS rpt_variation (
    measure_id VARCHAR NOT NULL, measure_name VARCHAR, grouping VARCHAR, denominator_name VARCHAR,
    basis VARCHAR, unit_id VARCHAR NOT NULL, unit_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
    fy VARCHAR NOT NULL, months_reported INTEGER, numerator DECIMAL(18, 2), denominator DECIMAL(18, 2),
    rate DECIMAL(18, 4), pooled_rate DECIMAL(18, 4), overdispersion_phi DOUBLE, between_unit_sd DOUBLE,
    lower_998 DECIMAL(18, 4), lower_95 DECIMAL(18, 4), upper_95 DECIMAL(18, 4), upper_998 DECIMAL(18, 4),
    z_score DOUBLE, decile INTEGER, flag VARCHAR, higher_is_better BOOLEAN, assessment VARCHAR,
    expected_numerator DECIMAL(18, 2), difference_vs_pooled DECIMAL(18, 2), units INTEGER
);

DELETE FROM rpt_variation WHERE measure_id = $measure_id;

INSERT INTO rpt_variation BY NAME
WITH denominator_registry AS (
    -- every denominator a measure may name, per grouping, unit and year
    SELECT 'weighted_population' AS denominator_name, 'place' AS grouping, place_id AS unit_id,
           place_name AS unit_name, ics_id, ics_name, fy, weighted_population AS denominator
    FROM dim_place
    UNION ALL
    SELECT names.denominator_name, 'place', place_id, place_name, ics_id, ics_name, fy, mh_weighted_population
    FROM dim_place, (VALUES ('mh_weighted_population'), ('need_weighted_population')) names(denominator_name)
    UNION ALL
    SELECT 'weighted_population', 'ics', ics_id, ics_name, ics_id, ics_name, fy, sum(weighted_population)
    FROM dim_place GROUP BY ALL
    UNION ALL
    SELECT names.denominator_name, 'ics', ics_id, ics_name, ics_id, ics_name, fy, sum(mh_weighted_population)
    FROM dim_place, (VALUES ('mh_weighted_population'), ('need_weighted_population')) names(denominator_name)
    GROUP BY ALL
),
years_reported AS (
    SELECT fy, count(DISTINCT period) AS months_reported FROM fct_mh_ledger GROUP BY fy
),
units AS (
    SELECT d.unit_id, d.unit_name, d.ics_id, d.ics_name, d.fy, y.months_reported,
           CAST(d.denominator AS DECIMAL(18, 2)) AS denominator
    FROM denominator_registry d
    JOIN years_reported y ON y.fy = d.fy
    WHERE d.denominator_name = $denominator AND d.grouping = $grouping AND d.denominator > 0
),
measured_lines AS (
    SELECT fy, CASE $grouping WHEN 'place' THEN place_id WHEN 'ics' THEN ics_id END AS unit_id, amount
    FROM fct_mh_ledger
    WHERE list_contains($line_types, line_type)
      AND ($service_lines IS NULL OR list_contains($service_lines, service_line))
      AND ($funding_streams IS NULL OR list_contains($funding_streams, funding_stream))
      AND ($partner_kinds IS NULL OR list_contains($partner_kinds, partner_kind))
      AND ($basis = 'gross' OR NOT is_eliminated)
),
numerators AS (
    SELECT u.*, CAST(coalesce(sum(l.amount), 0) AS DECIMAL(18, 2)) AS numerator
    FROM units u
    LEFT JOIN measured_lines l ON l.fy = u.fy AND l.unit_id = u.unit_id
    GROUP BY ALL
),
pooled AS (
    SELECT *,
           sum(numerator) OVER year AS pooled_numerator,
           sum(denominator) OVER year AS pooled_denominator,
           count(*) OVER year AS units,
           CAST(sum(numerator) OVER year AS DOUBLE) / CAST(sum(denominator) OVER year AS DOUBLE) AS pooled_value
    FROM numerators
    WINDOW year AS (PARTITION BY fy)
),
poisson_z AS (
    SELECT *,
           CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) AS rate_value,
           CASE WHEN pooled_value > 0  -- a Poisson rate needs a positive pooled rate
                THEN (CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) - pooled_value)
                     / sqrt(pooled_value / CAST(denominator AS DOUBLE)) END AS raw_z
    FROM pooled
),
winsorised AS (
    SELECT *,
           least(greatest(raw_z, quantile_cont(raw_z, 0.1) OVER year), quantile_cont(raw_z, 0.9) OVER year)
               AS winsorised_z
    FROM poisson_z
    WINDOW year AS (PARTITION BY fy)
),
overdispersion AS (
    SELECT *,
           avg(winsorised_z * winsorised_z) OVER year AS phi,
           count(*) OVER year AS k,
           sum(CAST(denominator AS DOUBLE) / nullif(pooled_value, 0)) OVER year AS sum_w,
           sum(power(CAST(denominator AS DOUBLE) / nullif(pooled_value, 0), 2)) OVER year AS sum_w_squared
    FROM winsorised
    WINDOW year AS (PARTITION BY fy)
),
random_effects AS (
    SELECT *,
           CASE WHEN k > 1 AND pooled_value > 0
                THEN greatest(0, (k * phi - (k - 1)) / (sum_w - sum_w_squared / sum_w)) ELSE 0 END AS tau_squared
    FROM overdispersion
),
funnel AS (
    SELECT *,
           CASE WHEN pooled_value > 0 THEN sqrt(pooled_value / CAST(denominator AS DOUBLE) + tau_squared) END
               AS rate_sd,
           CASE WHEN pooled_value > 0
                THEN (rate_value - pooled_value) / sqrt(pooled_value / CAST(denominator AS DOUBLE) + tau_squared)
                END AS z_score,
           count(*) OVER (PARTITION BY fy ORDER BY rate_value
                          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS units_at_or_below
    FROM random_effects
),
flagged AS (
    SELECT *,
           CASE WHEN z_score > $z_998 THEN 'above_998' WHEN z_score > $z_95 THEN 'above_95'
                WHEN z_score < -$z_998 THEN 'below_998' WHEN z_score < -$z_95 THEN 'below_95'
                ELSE 'none' END AS flag
    FROM funnel
)
SELECT $measure_id AS measure_id, $measure_name AS measure_name, $grouping AS grouping,
       $denominator AS denominator_name, $basis AS basis,
       unit_id, unit_name, ics_id, ics_name, fy, months_reported, numerator, denominator,
       rate_per_head(numerator, denominator) AS rate,
       rate_per_head(pooled_numerator, pooled_denominator) AS pooled_rate,
       phi AS overdispersion_phi, sqrt(tau_squared) AS between_unit_sd,
       CAST(greatest(pooled_value - $z_998 * rate_sd, 0) AS DECIMAL(18, 4)) AS lower_998,
       CAST(greatest(pooled_value - $z_95 * rate_sd, 0) AS DECIMAL(18, 4)) AS lower_95,
       CAST(pooled_value + $z_95 * rate_sd AS DECIMAL(18, 4)) AS upper_95,
       CAST(pooled_value + $z_998 * rate_sd AS DECIMAL(18, 4)) AS upper_998,
       z_score,
       CAST((10 * units_at_or_below + units - 1) // units AS INTEGER) AS decile,
       flag,
       $higher_is_better AS higher_is_better,
       CASE WHEN flag = 'none' THEN 'none'
            WHEN (flag LIKE 'above%') = $higher_is_better THEN 'favourable'
            ELSE 'unfavourable' END AS assessment,
       money_ratio(pooled_numerator, CAST(denominator * 100 AS HUGEINT), CAST(pooled_denominator * 100 AS HUGEINT))
           AS expected_numerator,
       numerator - money_ratio(pooled_numerator, CAST(denominator * 100 AS HUGEINT),
                               CAST(pooled_denominator * 100 AS HUGEINT)) AS difference_vs_pooled,
       CAST(units AS INTEGER) AS units
FROM flagged;
