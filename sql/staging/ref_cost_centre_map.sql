-- ref_cost_centre_map: Each partner's cost centres mapped to service line, place, funding stream and line type.
CREATE OR REPLACE TABLE ref_cost_centre_map AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'partner_id': 'VARCHAR', 'cost_centre': 'VARCHAR', 'cost_centre_name': 'VARCHAR',
    'service_line': 'VARCHAR', 'place_id': 'VARCHAR', 'funding_stream': 'VARCHAR',
    'line_type': 'VARCHAR', 'scheme_id': 'VARCHAR'});
