-- ref_budget_phasing: How a mental-health budget is spread over the months of its financial year: a weight per month for a partner and service line, or for all of either ('*').
-- reference/budget_phasing.csv is optional: without it every budget is phased in equal twelfths (an
-- empty file is read instead). One row per profile and month: partner_id (a partner, or '*' for every
-- partner), service_line (a service line, or '*' for every one), fy, fy_month (1 = April ... 12 = March)
-- and weight. A month's share of the annual budget is its weight over the sum of the profile's twelve
-- weights, so weights may be shares adding up to 1 or relative weights (1.2 for a winter month).
-- rpt_mh_budget uses the most specific profile for each budget: partner and service line, then
-- partner, then service line, then '*' and '*'; a budget no profile matches is phased in twelfths.
-- months_in_profile and profile_weight are the profile's own row count and total weight, carried on
-- each row so the expectation suite can refuse a profile without its twelve months or with nothing
-- to share out.
CREATE OR REPLACE TABLE ref_budget_phasing AS
WITH phasing AS (
    SELECT trim(partner_id) AS partner_id, trim(service_line) AS service_line, trim(fy) AS fy, fy_month, weight
    FROM read_csv($path, header = true, quote = '"', columns = {
        'partner_id': 'VARCHAR', 'service_line': 'VARCHAR', 'fy': 'VARCHAR', 'fy_month': 'INTEGER',
        'weight': 'DECIMAL(18,6)'})
)
SELECT *,
       count(*) OVER (PARTITION BY partner_id, service_line, fy) AS months_in_profile,
       sum(weight) OVER (PARTITION BY partner_id, service_line, fy) AS profile_weight
FROM phasing;
