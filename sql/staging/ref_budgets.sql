-- ref_budgets: Each partner's annual mental-health budget per financial year and service line (phased by month in rpt_mh_budget).
-- reference/budgets.csv is optional: without it no partner has a budget (an empty file is read
-- instead) and rpt_mh_budget is empty. One row per partner, financial year and service line;
-- the annual budget is pounds and pence. The file carries no phasing profile: rpt_mh_budget
-- phases each budget in equal twelfths.
CREATE OR REPLACE TABLE ref_budgets AS
SELECT trim(partner_id) AS partner_id, trim(fy) AS fy, trim(service_line) AS service_line, annual_budget
FROM read_csv($path, header = true, quote = '"', columns = {
    'partner_id': 'VARCHAR', 'fy': 'VARCHAR', 'service_line': 'VARCHAR', 'annual_budget': 'DECIMAL(18,2)'});
