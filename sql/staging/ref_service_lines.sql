-- ref_service_lines: Service-line taxonomy with MHIS categories, exclusions and whether the line is mental health.
CREATE OR REPLACE TABLE ref_service_lines AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'service_line': 'VARCHAR', 'name': 'VARCHAR', 'mhis_category': 'VARCHAR',
    'in_mhis': 'BOOLEAN', 'exclusion_reason': 'VARCHAR', 'mental_health': 'BOOLEAN'});
