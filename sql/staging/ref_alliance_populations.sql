-- ref_alliance_populations: The weighted GP-registered population each alliance trust serves, per financial year.
-- reference/alliance_populations.csv is optional (no file: no rows). The population of the places
-- the trust's community services cover: the denominator weighted_population_served of a provider measure.
CREATE OR REPLACE TABLE ref_alliance_populations AS
SELECT trim(fy) AS fy, trim(provider_id) AS provider_id, weighted_population_served
FROM read_csv($path, header = true, quote = '"', columns = {
    'fy': 'VARCHAR', 'provider_id': 'VARCHAR', 'weighted_population_served': 'DECIMAL(18,2)'});
