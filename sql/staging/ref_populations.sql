-- ref_populations: Weighted GP-registered population, mental-health need index and mental-health weighted population per place and year.

-- A CSV may give mh_weighted_population itself (the NHS England workbook's MH component,
-- rolled up by assets/ingest/reference_sources.py); where it does not, it is the weighted
-- population x the need index, exactly as the per-head measures computed it before.
-- The empty typed SELECT fills a column the file does not have with NULL (UNION BY NAME).
CREATE OR REPLACE TABLE ref_populations AS
SELECT fy, place_id,
       CAST(weighted_population AS DECIMAL(18,2)) AS weighted_population,
       CAST(mh_need_index AS DECIMAL(9,4)) AS mh_need_index,
       CAST(coalesce(CAST(mh_weighted_population AS DECIMAL(18,6)),
                     CAST(weighted_population AS DECIMAL(18,2)) * CAST(mh_need_index AS DECIMAL(9,4)))
            AS DECIMAL(18,6)) AS mh_weighted_population
FROM (
    SELECT NULL::VARCHAR AS fy, NULL::VARCHAR AS place_id, NULL::VARCHAR AS weighted_population,
           NULL::VARCHAR AS mh_need_index, NULL::VARCHAR AS mh_weighted_population
    WHERE false
    UNION ALL BY NAME
    SELECT * FROM read_csv($path, header = true, quote = '"', all_varchar = true)
);
