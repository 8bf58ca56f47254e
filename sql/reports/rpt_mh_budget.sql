-- rpt_mh_budget: each partner's mental-health budget by service line against its own spend, month by
-- month: budget and actual for the month and the financial year to date, the year-to-date variance, a
-- forecast outturn and a RAG rating against the tolerances in sql/settings.yaml.
-- Budget: ref_budgets (reference/budgets.csv), the partner's annual budget for the service line,
-- phased by the most specific profile of ref_budget_phasing (reference/budget_phasing.csv, optional):
-- the partner's for the service line, else the partner's for every service line ('*'), else every
-- partner's for the service line, else every partner's for every service line; with none, equal
-- twelfths. A month's budget is annual x the month's weight / the profile's total weight, rounded half
-- up to the penny; the rounding remainder goes to the month with the largest weight (the latest of
-- them on a tie; March for twelfths), so the twelve months add up to the annual budget to the penny.
-- Actual: the partner's own mental-health expenditure on the service line as its ledger books it
-- (fct_mh_ledger gross_spend on expenditure lines, every funding stream, the figures of rpt_mh_spend):
-- gross, so payments it makes to other partners count, because its budget pays them; income is not
-- netted off. Spend on a service line with no budget row is not in this table.
-- Forecast outturn: actual to date + the phased budget for the months still to come + the year-to-date
-- trend carried over them: the remaining phased budget over- or underspent in the same proportion as the
-- budget to date (variance_ytd x (annual_budget - budget_ytd) / budget_ytd, rounded half up to the
-- penny), so a seasonal profile is followed rather than averaged away; no trend is carried while
-- nothing has been budgeted to date. At month 12 it is the outturn itself.
-- RAG on the forecast variance as a percentage of the annual budget: red over by more than
-- mh_budget_red_tolerance_pct; amber over by more than mh_budget_amber_tolerance_pct, or under by more
-- than mh_budget_red_tolerance_pct (money forecast unspent); green otherwise. A zero budget with spend
-- forecast is red. Rows run to the latest month reported.
-- Grain: one row per partner, service line and month of a budgeted financial year.
-- Keys: partner_id, service_line, period
-- Columns:
--   partner_id: the budget holder (the partner whose ledger holds the spend)
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   ics_id: the partner's home integrated care system (null for a partner serving both systems)
--   ics_name: the integrated care system's name (null for a partner serving both systems)
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   annual_budget: the budget for the whole financial year, pounds
--   phasing_profile: the profile that phased it: '<partner> / <service line>' as in
--     reference/budget_phasing.csv ('*' for every one), or 'equal twelfths'
--   month_share: the month's weight over the profile's total weight (1/12 for twelfths), to 6 places
--   budget: the budget phased to the month (annual x month_share to the penny; the rounding remainder
--     in the month with the largest weight), pounds
--   actual: the partner's mental-health expenditure on the service line in the month, pounds
--   budget_ytd: the phased budget from April to this month, pounds
--   actual_ytd: actual from April to this month, pounds
--   variance_ytd: actual_ytd - budget_ytd (positive: overspent), pounds
--   variance_ytd_pct: variance_ytd as a percentage of budget_ytd (null when nothing was budgeted)
--   forecast_outturn: actual_ytd + (annual_budget - budget_ytd) + variance_ytd x (annual_budget - budget_ytd)
--     / budget_ytd (the last term 0 while budget_ytd is 0), pounds
--   forecast_variance: forecast_outturn - annual_budget (positive: forecast overspend), pounds
--   forecast_variance_pct: forecast_variance as a percentage of annual_budget (null when nothing was budgeted)
--   is_outturn: true at month 12, when the forecast is the outturn
--   rag: red, amber or green (forecast_variance_pct against the tolerances)
--   amber_tolerance_pct: the amber tolerance applied, per cent of the annual budget
--   red_tolerance_pct: the red tolerance applied, per cent of the annual budget
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_mh_budget AS
WITH latest_month AS (
    SELECT max(period) AS period FROM fct_ledger
),
months AS (
    SELECT CAST(range AS INTEGER) AS fy_month FROM range(1, 13)
),
profiles AS (
    -- each budget's profile: partner before service line, a named one before '*'
    SELECT b.partner_id, b.service_line, b.fy, p.partner_id AS profile_partner,
           p.service_line AS profile_service_line
    FROM ref_budgets b
    JOIN (SELECT DISTINCT partner_id, service_line, fy FROM ref_budget_phasing) p
      ON p.fy = b.fy AND p.partner_id IN (b.partner_id, '*') AND p.service_line IN (b.service_line, '*')
    QUALIFY row_number() OVER (PARTITION BY b.partner_id, b.service_line, b.fy
                               ORDER BY p.partner_id <> '*' DESC, p.service_line <> '*' DESC) = 1
),
weights AS (
    -- weights as whole millionths (the file's six places), so the phasing is exact integer arithmetic
    SELECT b.partner_id, b.service_line, b.fy, b.annual_budget, m.fy_month,
           coalesce(pr.profile_partner || ' / ' || pr.profile_service_line, 'equal twelfths') AS phasing_profile,
           coalesce(CAST(CAST(w.weight AS DECIMAL(38, 6)) * 1000000 AS HUGEINT), 1) AS weight_units,
           coalesce(CAST(CAST(w.profile_weight AS DECIMAL(38, 6)) * 1000000 AS HUGEINT), 12) AS total_units
    FROM ref_budgets b
    CROSS JOIN months m
    LEFT JOIN profiles pr ON pr.partner_id = b.partner_id AND pr.service_line = b.service_line AND pr.fy = b.fy
    LEFT JOIN ref_budget_phasing w
      ON w.partner_id = pr.profile_partner AND w.service_line = pr.profile_service_line AND w.fy = b.fy
     AND w.fy_month = m.fy_month
),
rounded AS (
    SELECT *, money_ratio(annual_budget, weight_units, total_units) AS rounded_budget,
           row_number() OVER (PARTITION BY partner_id, service_line, fy ORDER BY weight_units DESC, fy_month DESC) = 1
               AS takes_remainder
    FROM weights
),
phased AS (
    SELECT *, rounded_budget + CASE WHEN takes_remainder
                                    THEN annual_budget - sum(rounded_budget) OVER (PARTITION BY partner_id, service_line, fy)
                                    ELSE 0 END AS budget
    FROM rounded
),
budget_months AS (
    -- one row per budget and month of its year
    SELECT partner_id, service_line, fy, annual_budget, fy_month, phasing_profile,
           CAST(round(CAST(weight_units AS DECIMAL(38, 6)) / total_units, 6) AS DECIMAL(18, 6)) AS month_share,
           strftime(make_date(CAST(substr(fy, 1, 4) AS INTEGER), 4, 1) + to_months(fy_month - 1), '%Y-%m') AS period,
           budget,
           sum(budget) OVER (PARTITION BY partner_id, service_line, fy ORDER BY fy_month
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS budget_ytd
    FROM phased
),
actual AS (
    SELECT partner_id, service_line, period, sum(gross_spend) AS actual
    FROM fct_mh_ledger
    WHERE line_type = 'expenditure'
    GROUP BY ALL
),
to_date AS (
    SELECT b.*, coalesce(a.actual, 0) AS actual,
           sum(coalesce(a.actual, 0)) OVER (PARTITION BY b.partner_id, b.service_line, b.fy ORDER BY b.fy_month
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS actual_ytd
    FROM budget_months b
    LEFT JOIN actual a ON a.partner_id = b.partner_id AND a.service_line = b.service_line AND a.period = b.period
),
forecasts AS (
    SELECT *, actual_ytd - budget_ytd AS variance_ytd,
           actual_ytd + (annual_budget - budget_ytd)
               + CASE WHEN budget_ytd > 0
                      THEN money_ratio(actual_ytd - budget_ytd, CAST((annual_budget - budget_ytd) * 100 AS HUGEINT),
                                       CAST(budget_ytd * 100 AS HUGEINT))
                      ELSE 0 END AS forecast_outturn
    FROM to_date
),
rated AS (
    SELECT *, forecast_outturn - annual_budget AS forecast_variance,
           CAST(round(100 * (forecast_outturn - annual_budget) / nullif(annual_budget, 0), 2) AS DECIMAL(38, 2))
               AS forecast_variance_pct
    FROM forecasts
)
SELECT r.partner_id, p.partner_name, p.partner_kind, p.ics_id, ics.ics_name,
       r.service_line, s.service_line_name, r.period, r.fy, r.fy_month,
       CAST(r.annual_budget AS DECIMAL(18, 2)) AS annual_budget, r.phasing_profile, r.month_share,
       CAST(r.budget AS DECIMAL(18, 2)) AS budget,
       CAST(r.actual AS DECIMAL(18, 2)) AS actual,
       CAST(r.budget_ytd AS DECIMAL(18, 2)) AS budget_ytd, CAST(r.actual_ytd AS DECIMAL(18, 2)) AS actual_ytd,
       CAST(r.variance_ytd AS DECIMAL(18, 2)) AS variance_ytd,
       CAST(round(100 * r.variance_ytd / nullif(r.budget_ytd, 0), 2) AS DECIMAL(38, 2)) AS variance_ytd_pct,
       CAST(r.forecast_outturn AS DECIMAL(18, 2)) AS forecast_outturn,
       CAST(r.forecast_variance AS DECIMAL(18, 2)) AS forecast_variance,
       r.forecast_variance_pct,
       r.fy_month = 12 AS is_outturn,
       CASE WHEN r.annual_budget = 0 THEN CASE WHEN r.forecast_outturn > 0 THEN 'red' ELSE 'green' END
            WHEN r.forecast_variance_pct > $mh_budget_red_tolerance_pct THEN 'red'
            WHEN r.forecast_variance_pct > $mh_budget_amber_tolerance_pct THEN 'amber'
            WHEN r.forecast_variance_pct < -$mh_budget_red_tolerance_pct THEN 'amber'
            ELSE 'green' END AS rag,
       CAST($mh_budget_amber_tolerance_pct AS DECIMAL(18, 2)) AS amber_tolerance_pct,
       CAST($mh_budget_red_tolerance_pct AS DECIMAL(18, 2)) AS red_tolerance_pct
FROM rated r
JOIN latest_month m ON r.period <= m.period
LEFT JOIN dim_partner p ON p.partner_id = r.partner_id
LEFT JOIN (SELECT DISTINCT ics_id, ics_name FROM ref_places) ics ON ics.ics_id = p.ics_id
LEFT JOIN dim_service_line s ON s.service_line = r.service_line;
