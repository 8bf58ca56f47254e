-- dim_place: places and their ICS, with weighted population and need per financial year.
-- Grain: one row per place and financial year.
-- Keys: place_id, fy
-- Columns:
--   place_id: short id of the place
--   place_name: the place's name
--   ics_id: the integrated care system the place belongs to
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   weighted_population: GP-registered population weighted for need, the denominator of per-head measures
--   mh_need_index: mental-health need index of the place (1.0 = national average)
--   mh_weighted_population: population weighted for mental-health need (NHS England's MH weighted population where the reference gives it, else weighted population x need index)
CREATE OR REPLACE TABLE dim_place AS
SELECT pl.place_id, pl.place_name, pl.ics_id, pl.ics_name, po.fy,
       po.weighted_population, po.mh_need_index, po.mh_weighted_population
FROM ref_places pl
LEFT JOIN ref_populations po USING (place_id);
