-- spend_per_head: expenditure per weighted head of population on a service line, by place,
-- in a financial year: every partner's expenditure lines on that service line whose cost
-- centre serves the place, divided by the place's weighted population, with the system's
-- figure beside it. service_line "mhis" takes every service line in the MHIS.
-- params: service_line (a service_line of dim_service_line; also: mhis, default: crisis_house), fy (financial year YYYY-YY, default: latest)
-- example: openbook query spend_per_head --service_line mhis --fy 2025-26
WITH chosen AS (
    SELECT coalesce($fy, (SELECT max(fy) FROM fct_ledger)) AS fy
),
spend AS (
    SELECT l.place_id, sum(l.amount) AS spend, count(*) AS ledger_lines
    FROM fct_ledger l
    JOIN chosen c ON l.fy = c.fy
    JOIN dim_service_line s ON s.service_line = l.service_line
    WHERE l.line_type = 'expenditure'
      AND l.place_id IS NOT NULL
      AND (CASE WHEN $service_line = 'mhis' THEN s.in_mhis ELSE l.service_line = $service_line END)
    GROUP BY l.place_id
),
places AS (
    SELECT p.ics_id, p.place_id, p.place_name, p.fy, p.weighted_population, p.mh_need_index,
           coalesce(s.spend, 0) AS spend, coalesce(s.ledger_lines, 0) AS ledger_lines
    FROM dim_place p
    JOIN chosen c ON p.fy = c.fy
    LEFT JOIN spend s ON s.place_id = p.place_id
)
SELECT ics_id, place_id, place_name, fy, $service_line AS service_line,
       spend, weighted_population,
       CAST(round(CAST(spend AS DECIMAL(38, 6)) / nullif(weighted_population, 0), 2) AS DECIMAL(38, 2)) AS spend_per_head,
       CAST(round(CAST(sum(spend) OVER (PARTITION BY ics_id) AS DECIMAL(38, 6))
                  / nullif(sum(weighted_population) OVER (PARTITION BY ics_id), 0), 2) AS DECIMAL(38, 2)) AS system_spend_per_head,
       mh_need_index, ledger_lines
FROM places
ORDER BY ics_id, place_id;
