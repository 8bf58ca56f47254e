-- ref_populations: Weighted GP-registered population and mental-health need index per place and year.
CREATE OR REPLACE TABLE ref_populations AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'fy': 'VARCHAR', 'place_id': 'VARCHAR', 'weighted_population': 'DECIMAL(18,2)',
    'mh_need_index': 'DECIMAL(9,4)'});
