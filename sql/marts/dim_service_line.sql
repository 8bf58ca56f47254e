-- dim_service_line: the service-line taxonomy with MHIS categories and exclusions.
-- Grain: one row per service line.
-- Keys: service_line
-- Columns:
--   service_line: short id of the service line
--   service_line_name: the service line's name
--   mhis_category: Mental Health Investment Standard category
--   in_mhis: true when spend on it counts towards the MHIS
--   exclusion_reason: why it is outside the MHIS (learning disability and autism, ADHD, ...)
CREATE OR REPLACE TABLE dim_service_line AS
SELECT service_line, name AS service_line_name, mhis_category, in_mhis, exclusion_reason
FROM ref_service_lines;
