-- spend_by_funding_stream: each partner's mental-health expenditure in a financial year
-- split by funding stream (recurrent, non-recurrent, SDF, section 75 pooled, grant), with
-- the share that is not recurrent.
-- params: fy (financial year YYYY-YY, default: latest), ics_id (default: all)
-- example: openbook query spend_by_funding_stream --fy 2025-26 --ics_id north_weald
WITH chosen AS (
    SELECT coalesce($fy, (SELECT max(fy) FROM rpt_mh_spend)) AS fy
)
SELECT s.partner_id, s.partner_name, s.partner_kind, s.fy,
       sum(s.spend) FILTER (WHERE s.funding_stream = 'recurrent') AS recurrent,
       sum(s.spend) FILTER (WHERE s.funding_stream = 'non_recurrent') AS non_recurrent,
       sum(s.spend) FILTER (WHERE s.funding_stream = 'sdf') AS sdf,
       sum(s.spend) FILTER (WHERE s.funding_stream = 's75_pooled') AS s75_pooled,
       sum(s.spend) FILTER (WHERE s.funding_stream = 'grant') AS "grant",
       sum(s.spend) AS total,
       round(100 * CAST(coalesce(sum(s.spend) FILTER (WHERE s.funding_stream <> 'recurrent'), 0) AS DOUBLE)
             / nullif(CAST(sum(s.spend) AS DOUBLE), 0), 1) AS not_recurrent_pct
FROM rpt_mh_spend s
JOIN chosen c ON s.fy = c.fy
WHERE $ics_id IS NULL OR s.ics_id = $ics_id
GROUP BY ALL
ORDER BY total DESC;
