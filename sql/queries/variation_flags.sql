-- variation_flags: the places (or systems) flagged as outliers on a measure of variation
-- in the financial year to date (from rpt_variation): the unit's rate per head against its
-- peers' rate (every other unit) and its limits, the flag (above or below its peers' 95% or
-- 99.8% limits, in neutral words) and the size of the variation in pounds.
-- params: fy (financial year YYYY-YY, default: latest), measure_id (a measure of sql/measures/, default: all)
-- example: openbook query variation_flags --fy 2024-25 --measure_id mh_spend_per_head
SELECT measure_id, measure_name, fy, months_reported, unit_id, unit_name, ics_id,
       numerator, denominator, rate, peer_rate, pooled_rate, lower_998, lower_95, upper_95, upper_998,
       z_score, flag, comparison, difference_vs_pooled
FROM rpt_variation
WHERE flag <> 'none'
  AND fy = coalesce($fy, (SELECT max(fy) FROM rpt_variation))
  AND ($measure_id IS NULL OR measure_id = $measure_id)
ORDER BY measure_id, abs(z_score) DESC;
