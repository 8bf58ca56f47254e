-- dim_service_line: the service-line taxonomy with MHIS categories, exclusions and whether
-- the line is mental-health spend. A line no mapping classifies has service line 'unclassified'
-- (added here when the taxonomy has none): counted in ledger totals, never mental-health or MHIS
-- spend until a rule maps it.
-- Grain: one row per service line.
-- Keys: service_line
-- Columns:
--   service_line: short id of the service line
--   service_line_name: the service line's name
--   mhis_category: Mental Health Investment Standard category
--   in_mhis: true when spend on it counts towards the MHIS
--   exclusion_reason: why it is outside the MHIS (learning disability and autism, ADHD, ...)
--   mental_health: true when spend on it is mental-health spend in the open book (every MHIS line,
--     plus learning disability and autism and ADHD medication); false for public health, other
--     healthcare, corporate costs and the councils' non-mental-health social care
CREATE OR REPLACE TABLE dim_service_line AS
SELECT service_line, name AS service_line_name, mhis_category, in_mhis, exclusion_reason, mental_health
FROM ref_service_lines
UNION ALL
SELECT 'unclassified', 'Unclassified (no mapping rule yet)', NULL, false,
       'not yet mapped to a service line', false
WHERE NOT EXISTS (SELECT 1 FROM ref_service_lines WHERE service_line = 'unclassified');
