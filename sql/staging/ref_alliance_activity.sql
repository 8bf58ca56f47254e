-- ref_alliance_activity: Each alliance trust's activity by month: occupied bed days (adult acute), community contacts, out-of-area placements.
-- reference/alliance_activity.csv is optional (no file: no rows). The activity a provider measure
-- counts (numerator source provider_activity) or divides by (denominator occupied_bed_days, summed
-- over the year's months).
CREATE OR REPLACE TABLE ref_alliance_activity AS
SELECT trim(period) AS period, trim(provider_id) AS provider_id, occupied_bed_days, community_contacts,
       out_of_area_placements
FROM read_csv($path, header = true, quote = '"', columns = {
    'period': 'VARCHAR', 'provider_id': 'VARCHAR', 'occupied_bed_days': 'BIGINT',
    'community_contacts': 'BIGINT', 'out_of_area_placements': 'BIGINT'});
