-- rpt_agency_spend: each NHS provider's agency staffing spend against its agency spending limit, month by
-- month through the financial year, with the year to date, the limit to date, the variance and a RAG rating.
-- Agency spend (the rule, one of several possible, chosen because it works on any ledger layout): the
-- provider's expenditure lines (fct_ledger, line_type expenditure, credits netted) whose counterparty is a
-- staffing agency listed in ref_agency_suppliers, names compared lower-cased with runs of spaces made one.
-- Lines with other suppliers are not agency spend even if described as agency cover; list the supplier to
-- count them. Providers: NHS trusts and lead providers (NHS England sets agency spending limits per trust).
-- The limit (ref_agency_caps) is a whole-year figure in pounds, phased evenly: the limit to date after
-- month m of the year is annual_cap x m / 12 rounded half up to the penny, and each month's limit is the
-- step from the month before, so the months add up to the year to date exactly. RAG as at each month:
-- red when agency spend to date is above the limit to date, amber when at or above agency_amber_pct
-- (sql/settings.yaml, bound) percent of it, green below that; no_cap when the provider has no limit for
-- the year. Months run from April to the latest month in the ledger (March for past years), for every
-- provider-year with a limit or with agency spend.
-- Grain: one row per provider and month.
-- Keys: partner_id, period
-- Columns:
--   partner_id: the NHS provider
--   partner_name: the provider's name
--   partner_kind: nhs_trust or lead_provider
--   ics_id: the provider's integrated care system
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   agency_spend: agency spend in the month, pounds (lines paid to listed agencies)
--   agency_lines: number of ledger lines behind agency_spend
--   agency_ytd: agency spend from April to this month, pounds
--   annual_cap: the provider's agency spending limit for the financial year, pounds (null: none set)
--   cap_month: the limit phased to this month (annual_cap x fy_month / 12 less the same to last month)
--   cap_ytd: the limit to date: annual_cap x fy_month / 12, rounded half up to the penny
--   variance_ytd: agency_ytd - cap_ytd, pounds (positive: over the limit)
--   variance_ytd_pct: variance_ytd as a percentage of cap_ytd (null without a limit)
--   rag: red (over the limit to date), amber (within agency_amber_pct% of it), green, or no_cap
--   cap_basis: where the limit comes from, as the reference file says
CREATE OR REPLACE TEMP MACRO money_ratio(amount, numerator, denominator) AS
    -- amount x numerator / denominator rounded half up to the penny in exact integer arithmetic
    -- (DuckDB's DECIMAL division returns DOUBLE); numerator and denominator whole, denominator > 0
    CAST(CAST(sign(CAST(amount * 100 AS HUGEINT) * numerator)
              * ((2 * abs(CAST(amount * 100 AS HUGEINT) * numerator) + denominator) // (2 * denominator))
         AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2));

CREATE OR REPLACE TABLE rpt_agency_spend AS
WITH latest AS (
    SELECT max(period) AS period FROM fct_ledger
),
providers AS (
    SELECT partner_id, partner_name, partner_kind, ics_id
    FROM dim_partner WHERE partner_kind IN ('nhs_trust', 'lead_provider')
),
agency_lines AS (
    SELECT l.partner_id, l.period, sum(l.amount) AS amount, count(*) AS lines
    FROM fct_ledger l
    JOIN providers p ON p.partner_id = l.partner_id
    WHERE l.line_type = 'expenditure'
      AND lower(trim(regexp_replace(l.counterparty, '\s+', ' ', 'g'))) IN (SELECT name_key FROM ref_agency_suppliers)
    GROUP BY ALL
),
provider_years AS (
    SELECT c.partner_id, c.fy FROM ref_agency_caps c JOIN providers p ON p.partner_id = c.partner_id
    UNION
    SELECT partner_id, fy_of(period) FROM agency_lines
),
months AS (
    -- April to March of each provider-year, cut at the latest month in the ledger
    SELECT y.partner_id, y.fy,
           strftime(make_date(CAST(substr(y.fy, 1, 4) AS INTEGER), 4, 1) + to_months(CAST(m AS INTEGER)), '%Y-%m')
               AS period
    FROM provider_years y, range(12) r(m)
),
monthly AS (
    SELECT m.partner_id, m.period, m.fy, fy_month_of(m.period) AS fy_month,
           coalesce(a.amount, 0) AS agency_spend, coalesce(a.lines, 0) AS agency_lines,
           c.annual_cap, c.basis AS cap_basis
    FROM months m
    JOIN latest ON m.period <= latest.period
    LEFT JOIN agency_lines a ON a.partner_id = m.partner_id AND a.period = m.period
    LEFT JOIN ref_agency_caps c ON c.partner_id = m.partner_id AND c.fy = m.fy
),
to_date AS (
    SELECT *,
           sum(agency_spend) OVER (PARTITION BY partner_id, fy ORDER BY period
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS agency_ytd,
           money_ratio(annual_cap, fy_month, 12) AS cap_ytd,
           money_ratio(annual_cap, fy_month, 12) - money_ratio(annual_cap, fy_month - 1, 12) AS cap_month
    FROM monthly
)
SELECT t.partner_id, p.partner_name, p.partner_kind, p.ics_id, t.period, t.fy, t.fy_month,
       CAST(t.agency_spend AS DECIMAL(18, 2)) AS agency_spend, t.agency_lines,
       CAST(t.agency_ytd AS DECIMAL(18, 2)) AS agency_ytd,
       CAST(t.annual_cap AS DECIMAL(18, 2)) AS annual_cap,
       CAST(t.cap_month AS DECIMAL(18, 2)) AS cap_month,
       CAST(t.cap_ytd AS DECIMAL(18, 2)) AS cap_ytd,
       CAST(t.agency_ytd - t.cap_ytd AS DECIMAL(18, 2)) AS variance_ytd,
       CAST(round(100 * (t.agency_ytd - t.cap_ytd) / nullif(t.cap_ytd, 0), 1) AS DECIMAL(38, 1)) AS variance_ytd_pct,
       CASE WHEN t.annual_cap IS NULL THEN 'no_cap'
            WHEN t.agency_ytd > t.cap_ytd THEN 'red'
            WHEN 100 * t.agency_ytd >= $agency_amber_pct * t.cap_ytd THEN 'amber'
            ELSE 'green' END AS rag,
       t.cap_basis
FROM to_date t
JOIN providers p ON p.partner_id = t.partner_id
ORDER BY t.partner_id, t.period;
