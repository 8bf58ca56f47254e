-- ref_lp_activity: Lead-provider activity by month and provider: occupied bed days, out-of-area placements.
CREATE OR REPLACE TABLE ref_lp_activity AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'period': 'VARCHAR', 'provider_id': 'VARCHAR', 'occupied_bed_days': 'BIGINT',
    'out_of_area_placements': 'BIGINT'});
