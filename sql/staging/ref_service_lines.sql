-- ref_service_lines: Service-line taxonomy with MHIS categories and exclusions.
CREATE OR REPLACE TABLE ref_service_lines AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'service_line': 'VARCHAR', 'name': 'VARCHAR', 'mhis_category': 'VARCHAR',
    'in_mhis': 'BOOLEAN', 'exclusion_reason': 'VARCHAR'});
