-- mhis_position: each ICB's Mental Health Investment Standard position for a financial
-- year: MHIS spend (the ICB's own expenditure on MHIS service lines from recurrent and
-- section 75 pooled funds), the spend the standard requires (last year's MHIS spend grown
-- by the growth in programme allocation, rounded half up to the penny), and the headroom
-- or shortfall.
-- params: fy (financial year YYYY-YY, default: latest)
-- example: openbook query mhis_position --fy 2025-26
WITH mhis AS (
    SELECT l.partner_id AS icb_id, l.partner_name AS icb_name, l.fy, sum(l.amount) AS mhis_spend
    FROM fct_ledger l
    JOIN dim_service_line s ON s.service_line = l.service_line
    WHERE l.partner_kind = 'icb' AND l.line_type = 'expenditure' AND s.in_mhis
      AND l.funding_stream IN ('recurrent', 's75_pooled')
    GROUP BY ALL
),
years AS (
    SELECT m.icb_id, m.icb_name, m.fy, m.mhis_spend,
           p.fy AS prior_fy, p.mhis_spend AS prior_year_spend,
           a.programme_allocation, pa.programme_allocation AS prior_programme_allocation
    FROM mhis m
    LEFT JOIN mhis p ON p.icb_id = m.icb_id
         AND p.fy = CAST(CAST(substr(m.fy, 1, 4) AS INTEGER) - 1 AS VARCHAR) || '-' || substr(m.fy, 3, 2)
    LEFT JOIN ref_allocations a ON a.icb_id = m.icb_id AND a.fy = m.fy
    LEFT JOIN ref_allocations pa ON pa.icb_id = m.icb_id AND pa.fy = p.fy
    WHERE m.fy = coalesce($fy, (SELECT max(fy) FROM mhis))
),
required AS (
    -- exact arithmetic in pennies: round half up of prior x allocation / prior allocation
    SELECT *,
           CAST(CAST((CAST(prior_year_spend * 100 AS HUGEINT) * CAST(programme_allocation * 100 AS HUGEINT) * 2
                      + CAST(prior_programme_allocation * 100 AS HUGEINT))
                     // (2 * CAST(prior_programme_allocation * 100 AS HUGEINT)) AS DECIMAL(38, 0)) / 100
                AS DECIMAL(18, 2)) AS required_spend
    FROM years
)
SELECT icb_id, icb_name, fy, mhis_spend, prior_fy, prior_year_spend,
       programme_allocation, prior_programme_allocation, required_spend,
       mhis_spend >= required_spend AS met,
       CASE WHEN mhis_spend >= required_spend THEN mhis_spend - required_spend END AS headroom,
       CASE WHEN mhis_spend < required_spend THEN required_spend - mhis_spend END AS shortfall
FROM required
ORDER BY icb_id;
