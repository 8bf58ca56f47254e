-- rpt_variation: measures of variation between units - places, systems or providers - one YAML definition each in
-- sql/measures/, all computed by this one template (warehouse/measures.py binds a measure's
-- definition as parameters and runs it once per measure). For each unit and financial year:
-- the numerator, the denominator, the rate (numerator x scale / denominator) and a comparison with
-- the unit's peers. The measure's unit (grouping) decides where they come from:
--   place or ics: mental-health ledger lines filtered by the measure (fct_mh_ledger, net of
--     eliminations unless the measure says gross) over a population from the registry below
--     (weighted_population, mh_weighted_population; need_weighted_population is its older name);
--   provider: the trusts of the provider alliance (ref_alliance_providers), each trust's own cost
--     return (source provider_finance: ref_alliance_finance, filtered by service line and service
--     hours) or its activity (source provider_activity: one column of ref_alliance_activity), over
--     the weighted population it serves (ref_alliance_populations), its occupied bed days in the year
--     (ref_alliance_activity) or all its spend in the year (ref_alliance_finance).
-- The method below is the same for every unit.
-- Spend with no place (trust-wide services, ICB-wide contracts) is apportioned to the places of
-- the system of the partner that spent it, by the stated key: the unit's share of the system's
-- denominator (the measure's own, e.g. weighted population), rounded half up to the penny; lines
-- of no single system (ics_id both_systems) are not apportioned. It is shown beside the placed spend
-- (apportioned_numerator, total_numerator, total_rate) with the coverage of the year (the share of
-- the measure's spend that is coded to a unit) but is NOT what is compared: apportioning by
-- population adds the same amount per head to every place of a system, so it cannot show
-- variation between them, and between systems it would compare how each system codes its
-- trust-wide spend rather than what its places receive. Flags therefore rest on spend coded to
-- the unit (numerator, rate), and a place whose coded spend includes a service that serves a
-- wider area (e.g. a trust-wide unit coded to one place) is flagged: the question to ask is then
-- whether that spend belongs to the place.
-- Method (scale-free, leave-one-out, limits that vary with population): Spiegelhalter's funnel
-- plot with an additive random-effects term (Spiegelhalter 2005, "Funnel plots for comparing
-- institutional performance", Stat Med 24:1185-1202), each unit compared with its
-- peers only (the other units of the year), so an outlier never sets its own limits:
--   centre c = the peers' pooled rate (sum of their numerators / sum of their denominators);
--   within-unit variance of a rate v_j = (cv x c)^2 / denominator_j, cv = the measure's
--     within_unit_cv (the coefficient of variation of one head's spend in a year, about
--     sqrt((1 + cost CV^2) / share of heads using the services)); it scales with money, so the
--     z-scores are the same in pounds or pence, and shrinks as the population grows;
--   between-unit variance tau^2 = DerSimonian-Laird over the m peers (DerSimonian and Laird 1986;
--     DerSimonian and Kacker 2007, Contemp Clin Trials 28:105): w_j = 1 / v_j,
--     Q = sum w_j (rate_j - c)^2 (c is the w-weighted mean, as w_j is proportional to the
--     denominator), tau^2 = max(0, (Q - (m - 1)) / (sum w - sum w^2 / sum w));
--   the unit's standard deviation sd = sqrt((cv x c)^2 / denominator + tau^2 + var c), var c =
--     (cv x c)^2 / sum of the peers' denominators + tau^2 x sum d_j^2 / (sum d_j)^2 (the centre is
--     itself estimated from the peers); z = (rate - c) / sd; limits c -/+ z x sd (lower ones
--     floored at 0), z from the measure's thresholds (default 1.96 for 95%, 3.09 for 99.8%).
-- A unit is assessed (limits, z and a flag) only with at least the measure's min_peers peers
-- (default 5) and a positive centre (an income measure has none); otherwise the flag is none
-- and the rank and the distance from the median say where it stands. Flags are neutral: above
-- or below the unit's peers; whether that is good is for the reader.
-- Grain: one row per measure, financial year and unit (the unit kind is the measure's grouping).
-- Keys: measure_id, fy, unit_id
-- Columns:
--   measure_id: the measure (its file name in sql/measures/, without .yaml)
--   measure_name: the measure's title
--   measure_description: the measure's definition in words (its YAML description)
--   grouping: the kind of unit compared: place, ics (a system) or provider (a trust of the provider alliance)
--   numerator_source: where the numerator comes from: ledger (fct_mh_ledger), provider_finance (the
--     trusts' cost return, ref_alliance_finance) or provider_activity (ref_alliance_activity)
--   denominator_name: the denominator, e.g. weighted_population, weighted_population_served,
--     occupied_bed_days, provider_total_spend
--   scale: the rate is numerator x scale / denominator (100 000: per 100,000; 100: a percentage)
--   rate_unit: the rate's unit in words, e.g. "£ per weighted head", "£ per occupied bed day"
--   basis: net (payments to other submitting partners eliminated) or gross; null for a provider source
--   unit_id: the place, ICS or provider compared
--   unit_name: its name
--   ics_id: the unit's integrated care system
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   months_reported: months of the year in the ledger (12 = a complete year)
--   numerator: the unit's spend on the measure's lines coded to it in the year, pounds (what is compared);
--     for source provider_activity, the year's count of the activity (e.g. out-of-area placements)
--   apportioned_numerator: the unit's share of its system's spend on the measure's lines coded to no
--     unit, by its share of the system's denominator, pounds rounded half up (0 when grouping by ics)
--   total_numerator: numerator + apportioned_numerator, pounds
--   coverage_pct: the year's spend on the measure's lines coded to a unit as a percentage of all of it
--     (placed and unplaced, every unit), 1 decimal place
--   denominator: the unit's denominator for the year, e.g. weighted population, occupied bed days
--   rate: numerator x scale / denominator, in rate_unit (pounds per head for the ledger measures),
--     rounded half up to 4 decimal places
--   total_rate: total_numerator x scale / denominator, rounded half up to 4 decimal places
--   pooled_rate: sum of numerators x scale / sum of denominators over every unit of the year
--   peer_rate: the centre the unit is compared with: its peers' pooled rate (every other unit of the year)
--   peers: number of peers (units of the year other than this one)
--   within_unit_cv: the measure's coefficient of variation of one head's spend (a setting, DOUBLE)
--   between_unit_sd: tau, the standard deviation of rates between the peers beyond chance
--     (DerSimonian-Laird), pounds per head (0 when the peers differ no more than chance)
--   rate_sd: the unit's standard deviation sd (within-unit, between-unit and the centre's), pounds per head
--   lower_998: lower 99.8% limit for the unit's denominator, pounds per head (null when not assessed)
--   lower_95: lower 95% limit
--   upper_95: upper 95% limit
--   upper_998: upper 99.8% limit
--   z_score: (rate - peer_rate) / rate_sd (a statistic, DOUBLE; null when not assessed)
--   assessed: whether the unit was compared with limits (min_peers peers or more and a positive centre)
--   median_rate: the median rate of the year's units, pounds per head
--   distance_from_median: rate - median_rate, pounds per head
--   rate_rank: the unit's rank by rate in the year, 1 = highest (ties share the better rank)
--   decile: decile of the unit's rate among the year's units, 1 (lowest) to 10 (highest): ceil(10 x n / k)
--     where n units have a rate at or below the unit's and k units are compared
--   flag: none, above_95, above_998, below_95 or below_998 (above or below the peers' 95% or 99.8% limits)
--   comparison: above peers, below peers, within peers or not assessed (neutral: no judgement of good or bad)
--   higher_is_better: the measure's direction, as its definition states it (not used for the flag)
--   expected_numerator: the unit's numerator were it at the pooled rate, in the numerator's unit (pounds,
--     or the activity counted), rounded half up to 2 places
--   difference_vs_pooled: numerator - expected_numerator: the size of the variation in the numerator's unit
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

CREATE OR REPLACE TEMP MACRO measure_fy(period) AS
    -- financial year of a YYYY-MM period (2024-04 .. 2025-03 is 2024-25), as fy_of in create_tables.sql
    CASE WHEN CAST(substr(period, 6, 2) AS INTEGER) >= 4
         THEN substr(period, 1, 4) || '-' || lpad(CAST((CAST(substr(period, 1, 4) AS INTEGER) + 1) % 100 AS VARCHAR), 2, '0')
         ELSE CAST(CAST(substr(period, 1, 4) AS INTEGER) - 1 AS VARCHAR) || '-' || substr(period, 3, 2)
    END;

CREATE TABLE IF NOT EXISTS rpt_variation (
    measure_id VARCHAR NOT NULL, measure_name VARCHAR, measure_description VARCHAR, grouping VARCHAR,
    numerator_source VARCHAR, denominator_name VARCHAR, scale INTEGER, rate_unit VARCHAR,
    basis VARCHAR, unit_id VARCHAR NOT NULL, unit_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
    fy VARCHAR NOT NULL, months_reported INTEGER, numerator DECIMAL(18, 2), apportioned_numerator DECIMAL(18, 2),
    total_numerator DECIMAL(18, 2), coverage_pct DECIMAL(9, 1), denominator DECIMAL(18, 2),
    rate DECIMAL(18, 4), total_rate DECIMAL(18, 4), pooled_rate DECIMAL(18, 4), peer_rate DECIMAL(18, 4),
    peers INTEGER, within_unit_cv DOUBLE, between_unit_sd DOUBLE, rate_sd DOUBLE,
    lower_998 DECIMAL(18, 4), lower_95 DECIMAL(18, 4), upper_95 DECIMAL(18, 4), upper_998 DECIMAL(18, 4),
    z_score DOUBLE, assessed BOOLEAN, median_rate DECIMAL(18, 4), distance_from_median DECIMAL(18, 4),
    rate_rank INTEGER, decile INTEGER, flag VARCHAR, comparison VARCHAR, higher_is_better BOOLEAN,
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
    UNION ALL
    -- providers: the alliance's trusts, each with the weighted population it serves, its occupied bed
    -- days in the year and all its spend in the year
    SELECT d.denominator_name, 'provider', p.provider_id, p.provider_name, p.ics_id, s.ics_name, d.fy, d.denominator
    FROM ref_alliance_providers p
    JOIN (SELECT 'weighted_population_served' AS denominator_name, provider_id, fy,
                 CAST(weighted_population_served AS DECIMAL(18, 2)) AS denominator
          FROM ref_alliance_populations
          UNION ALL
          SELECT 'occupied_bed_days', provider_id, measure_fy(period), CAST(sum(occupied_bed_days) AS DECIMAL(18, 2))
          FROM ref_alliance_activity GROUP BY ALL
          UNION ALL
          SELECT 'provider_total_spend', provider_id, measure_fy(period), sum(spend)
          FROM ref_alliance_finance GROUP BY ALL) d ON d.provider_id = p.provider_id
    LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM dim_place) s ON s.ics_id = p.ics_id
),
years_reported AS (
    -- the months of the year in the measure's own source
    SELECT fy, count(DISTINCT period) AS months_reported
    FROM (SELECT fy, period FROM fct_mh_ledger WHERE $source = 'ledger'
          UNION ALL
          SELECT measure_fy(period), period FROM ref_alliance_finance WHERE $source = 'provider_finance'
          UNION ALL
          SELECT measure_fy(period), period FROM ref_alliance_activity WHERE $source = 'provider_activity')
    GROUP BY fy
),
units AS (
    SELECT d.unit_id, d.unit_name, d.ics_id, d.ics_name, d.fy, y.months_reported,
           CAST(d.denominator AS DECIMAL(18, 2)) AS denominator
    FROM denominator_registry d
    JOIN years_reported y ON y.fy = d.fy
    WHERE d.denominator_name = $denominator AND d.grouping = $grouping AND d.denominator > 0
),
measured_lines AS (
    -- what the numerator counts, by unit: one branch per source (a measure reads one)
    SELECT fy, CASE $grouping WHEN 'place' THEN place_id WHEN 'ics' THEN ics_id END AS unit_id, ics_id, amount
    FROM fct_mh_ledger
    WHERE $source = 'ledger'
      AND list_contains($line_types, line_type)
      AND ($service_lines IS NULL OR list_contains($service_lines, service_line))
      AND ($funding_streams IS NULL OR list_contains($funding_streams, funding_stream))
      AND ($partner_kinds IS NULL OR list_contains($partner_kinds, partner_kind))
      AND ($basis = 'gross' OR NOT is_eliminated)
    UNION ALL
    SELECT measure_fy(f.period), f.provider_id, p.ics_id, f.spend
    FROM ref_alliance_finance f JOIN ref_alliance_providers p ON p.provider_id = f.provider_id
    WHERE $source = 'provider_finance'
      AND ($service_lines IS NULL OR list_contains($service_lines, f.service_line))
      AND ($service_hours IS NULL OR list_contains($service_hours, f.service_hours))
    UNION ALL
    SELECT measure_fy(a.period), a.provider_id, p.ics_id,
           CAST(CASE $activity WHEN 'occupied_bed_days' THEN a.occupied_bed_days
                               WHEN 'community_contacts' THEN a.community_contacts
                               WHEN 'out_of_area_placements' THEN a.out_of_area_placements END AS DECIMAL(18, 2))
    FROM ref_alliance_activity a JOIN ref_alliance_providers p ON p.provider_id = a.provider_id
    WHERE $source = 'provider_activity'
),
unplaced AS (
    -- spend coded to no unit, by the system of the partner that spent it (null: no system)
    SELECT fy, ics_id, sum(amount) AS amount FROM measured_lines WHERE unit_id IS NULL GROUP BY ALL
),
coverage AS (
    SELECT fy, sum(amount) FILTER (WHERE unit_id IS NOT NULL) AS placed, sum(amount) AS all_spend
    FROM measured_lines GROUP BY fy
),
numerators AS (
    SELECT u.*, CAST(coalesce(sum(l.amount), 0) AS DECIMAL(18, 2)) AS numerator
    FROM units u
    LEFT JOIN measured_lines l ON l.fy = u.fy AND l.unit_id = u.unit_id
    GROUP BY ALL
),
apportioned AS (
    -- the system's unplaced spend x the unit's share of the system's denominator (grouping by
    -- place; grouping by ics every line with a system is the system's own)
    SELECT n.*,
           CASE WHEN $grouping = 'place' AND p.amount IS NOT NULL
                THEN money_ratio(p.amount, CAST(n.denominator * 100 AS HUGEINT),
                                 CAST(sum(n.denominator) OVER (PARTITION BY n.fy, n.ics_id) * 100 AS HUGEINT))
                ELSE CAST(0 AS DECIMAL(18, 2)) END AS apportioned_numerator,
           CASE WHEN c.all_spend <> 0 THEN CAST(round(100 * CAST(coalesce(c.placed, 0) AS DOUBLE)
                                                      / CAST(c.all_spend AS DOUBLE), 1) AS DECIMAL(9, 1)) END
               AS coverage_pct
    FROM numerators n
    LEFT JOIN unplaced p ON p.fy = n.fy AND p.ics_id = n.ics_id
    LEFT JOIN coverage c ON c.fy = n.fy
),
pooled AS (
    SELECT *,
           sum(numerator) OVER year AS pooled_numerator,
           sum(denominator) OVER year AS pooled_denominator,
           count(*) OVER year AS units,
           CAST($scale AS DOUBLE) * CAST(numerator AS DOUBLE) / CAST(denominator AS DOUBLE) AS rate_value,
           CAST($scale AS DOUBLE) * CAST(sum(numerator) OVER year - numerator AS DOUBLE)
               / nullif(CAST(sum(denominator) OVER year - denominator AS DOUBLE), 0) AS peer_value,  -- null: no peers
           CAST(sum(denominator) OVER year - denominator AS DOUBLE) AS peer_denominator,
           CAST(count(*) OVER year - 1 AS INTEGER) AS peers
    FROM apportioned
    WINDOW year AS (PARTITION BY fy)
),
peer_spread AS (
    -- over each unit's peers j: Q x (cv c)^2 = sum d_j (rate_j - c)^2 and sum d_j^2
    -- summed in unit order: a sum of doubles in whatever order the threads meet them differs in its
    -- last bits from one build to the next, and an unchanged ledger must give an unchanged table
    SELECT i.fy, i.unit_id,
           sum(CAST(j.denominator AS DOUBLE) * power(j.rate_value - i.peer_value, 2) ORDER BY j.unit_id) AS scaled_q,
           sum(power(CAST(j.denominator AS DOUBLE), 2) ORDER BY j.unit_id) AS peer_denominator_squares
    FROM pooled i
    JOIN pooled j ON j.fy = i.fy AND j.unit_id <> i.unit_id
    GROUP BY ALL
),
random_effects AS (
    SELECT p.*, s.peer_denominator_squares,
           coalesce(p.peers >= $min_peers AND p.peer_value > 0, false) AS assessed,
           power($within_unit_cv * p.peer_value, 2) AS within_scale,   -- (cv c)^2: v_j = within_scale / d_j
           CASE WHEN p.peers >= 2 AND p.peer_value > 0
                THEN greatest(0, (s.scaled_q / power($within_unit_cv * p.peer_value, 2) - (p.peers - 1))
                                 / ((p.peer_denominator - s.peer_denominator_squares / p.peer_denominator)
                                    / power($within_unit_cv * p.peer_value, 2)))
                END AS tau_squared
    FROM pooled p
    LEFT JOIN peer_spread s ON s.fy = p.fy AND s.unit_id = p.unit_id
),
compared AS (
    SELECT *,
           sqrt(within_scale / CAST(denominator AS DOUBLE) + tau_squared
                + within_scale / peer_denominator + tau_squared * peer_denominator_squares / power(peer_denominator, 2))
               AS sd_value,
           median(rate_value) OVER (PARTITION BY fy) AS median_value,
           count(*) OVER (PARTITION BY fy ORDER BY rate_value
                          RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS units_at_or_below,
           rank() OVER (PARTITION BY fy ORDER BY rate_value DESC) AS rate_rank
    FROM random_effects
),
flagged AS (
    SELECT *,
           CASE WHEN assessed THEN (rate_value - peer_value) / sd_value END AS z_value,
           CASE WHEN NOT assessed THEN 'none'
                WHEN (rate_value - peer_value) / sd_value > $z_998 THEN 'above_998'
                WHEN (rate_value - peer_value) / sd_value > $z_95 THEN 'above_95'
                WHEN (rate_value - peer_value) / sd_value < -$z_998 THEN 'below_998'
                WHEN (rate_value - peer_value) / sd_value < -$z_95 THEN 'below_95'
                ELSE 'none' END AS flag
    FROM compared
)
SELECT $measure_id AS measure_id, $measure_name AS measure_name, $description AS measure_description,
       $grouping AS grouping, $source AS numerator_source, $denominator AS denominator_name,
       CAST($scale AS INTEGER) AS scale, $rate_unit AS rate_unit, $basis AS basis,
       unit_id, unit_name, ics_id, ics_name, fy, months_reported, numerator, apportioned_numerator,
       numerator + apportioned_numerator AS total_numerator, coverage_pct, denominator,
       rate_per_head(numerator * $scale, denominator) AS rate,
       rate_per_head((numerator + apportioned_numerator) * $scale, denominator) AS total_rate,
       rate_per_head(pooled_numerator * $scale, pooled_denominator) AS pooled_rate,
       CAST(peer_value AS DECIMAL(18, 4)) AS peer_rate, peers,
       CAST($within_unit_cv AS DOUBLE) AS within_unit_cv,
       sqrt(tau_squared) AS between_unit_sd,
       sd_value AS rate_sd,
       CASE WHEN assessed THEN CAST(greatest(peer_value - $z_998 * sd_value, 0) AS DECIMAL(18, 4)) END AS lower_998,
       CASE WHEN assessed THEN CAST(greatest(peer_value - $z_95 * sd_value, 0) AS DECIMAL(18, 4)) END AS lower_95,
       CASE WHEN assessed THEN CAST(peer_value + $z_95 * sd_value AS DECIMAL(18, 4)) END AS upper_95,
       CASE WHEN assessed THEN CAST(peer_value + $z_998 * sd_value AS DECIMAL(18, 4)) END AS upper_998,
       z_value AS z_score, assessed,
       CAST(median_value AS DECIMAL(18, 4)) AS median_rate,
       CAST(rate_value - median_value AS DECIMAL(18, 4)) AS distance_from_median,
       CAST(rate_rank AS INTEGER) AS rate_rank,
       CAST((10 * units_at_or_below + units - 1) // units AS INTEGER) AS decile,
       flag,
       CASE WHEN NOT assessed THEN 'not assessed' WHEN flag LIKE 'above%' THEN 'above peers'
            WHEN flag LIKE 'below%' THEN 'below peers' ELSE 'within peers' END AS comparison,
       $higher_is_better AS higher_is_better,
       money_ratio(pooled_numerator, CAST(denominator * 100 AS HUGEINT), CAST(pooled_denominator * 100 AS HUGEINT))
           AS expected_numerator,
       numerator - money_ratio(pooled_numerator, CAST(denominator * 100 AS HUGEINT),
                               CAST(pooled_denominator * 100 AS HUGEINT)) AS difference_vs_pooled,
       CAST(units AS INTEGER) AS units
FROM flagged;
