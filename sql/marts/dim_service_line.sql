-- dim_service_line: the service-line taxonomy with MHIS categories and exclusions.
-- Grain: one row per service_line.
CREATE OR REPLACE TABLE dim_service_line AS
SELECT service_line, name AS service_line_name, mhis_category, in_mhis, exclusion_reason
FROM ref_service_lines;
