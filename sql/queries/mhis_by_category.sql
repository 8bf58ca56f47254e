-- mhis_by_category: each ICB's Mental Health Investment Standard for a financial year as NHS
-- England's MHIS return reports it (from rpt_mhis_categories): MHIS spend by MHIS category,
-- children and young people's categories marked, then every exclusion (learning disability and
-- autism, ADHD, transformation funding (SDF), non-recurrent and grant money) with its reason;
-- an ICB's rows add up to all its mental-health spend, its in_mhis rows to its MHIS spend.
-- Gross, the ICB's own ledger.
-- params: fy (financial year YYYY-YY, default: latest), icb_id (default: all)
-- example: openbook query mhis_by_category --fy 2025-26 --icb_id sf_icb
SELECT icb_id, icb_name, fy, months_reported, part, line_kind, line_name, amount, cyp, cyp_amount,
       exclusion_reason, definition
FROM rpt_mhis_categories
WHERE fy = coalesce($fy, (SELECT max(fy) FROM rpt_mhis_categories))
  AND ($icb_id IS NULL OR icb_id = $icb_id)
ORDER BY icb_id, line_order;
