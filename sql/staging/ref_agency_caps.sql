-- ref_agency_caps: Each NHS provider's agency staffing spending limit per financial year, in pounds, with what it rests on.
-- reference/agency_caps.csv is optional: without it no provider has a cap (an empty file is read
-- instead) and the agency view has no rows. annual_cap is the limit for the whole financial year
-- (April to March); rpt_agency_spend phases it evenly over the months. basis says where the figure
-- comes from (e.g. "NHS England 2025/26 planning: agency spend 30% below 2024/25").
CREATE OR REPLACE TABLE ref_agency_caps AS
SELECT trim(partner_id) AS partner_id, trim(fy) AS fy, annual_cap, basis
FROM read_csv($path, header = true, quote = '"', columns = {
    'partner_id': 'VARCHAR', 'fy': 'VARCHAR', 'annual_cap': 'DECIMAL(18,2)', 'basis': 'VARCHAR'});
