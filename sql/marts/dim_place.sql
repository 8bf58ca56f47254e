-- dim_place: places and their ICS, with weighted population per financial year.
-- Grain: one row per place_id and fy.
CREATE OR REPLACE TABLE dim_place AS
SELECT pl.place_id, pl.place_name, pl.ics_id, pl.ics_name, po.fy,
       po.weighted_population, po.mh_need_index
FROM ref_places pl
LEFT JOIN ref_populations po USING (place_id);
