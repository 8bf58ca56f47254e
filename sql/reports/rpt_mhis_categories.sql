-- rpt_mhis_categories: the Mental Health Investment Standard as NHS England's MHIS return reports it, per ICB
-- and financial year: MHIS spend by MHIS category, and every exclusion from the MHIS with the amount it takes
-- out and why, so that the rows of an ICB-year add up to its mental-health spend to the penny:
--   mental-health spend (rpt_mhis.mh_spend) = MHIS spend (rpt_mhis.mhis_spend, the category rows)
--                                            + each excluded service line + each excluded funding stream.
-- Every row is gross expenditure as the ICB's own ledger books it (fct_ledger, partner_kind icb, line_type
-- expenditure, credits netted), the same lines as rpt_mhis; each line counts in exactly one row:
--   * mhis_category: service lines with in_mhis = true (reference/service_lines.csv) on a funding stream in
--     mhis_funding_streams (sql/settings.yaml), by the service line's mhis_category (service_lines.csv: the
--     category map a deployment changes; a blank category is 'Uncategorised MHIS service lines');
--   * excluded_service_line: mental-health service lines with in_mhis = false (learning disability and autism
--     without a co-occurring mental-health need, ADHD), any funding stream; the reason is the service line's
--     exclusion_reason;
--   * excluded_funding_stream: MHIS service lines paid from a stream in mhis_excluded_funding_streams
--     (sql/settings.yaml: transformation funding (SDF), non-recurrent, grants), with its label and reason. A
--     service-line exclusion comes first: an LD and autism line paid from SDF counts as LD and autism.
-- cyp marks the categories in mhis_cyp_categories (sql/settings.yaml), the children and young people's figure
-- shown separately; cyp_amount is their amount (null on other rows). Every category and exclusion has a row
-- for every ICB-year of rpt_mhis, zero when nothing is booked to it, so the exclusions are always shown.
-- Reference: NHS England, "Mental Health Investment Standard (MHIS): categories of mental health
-- expenditure" (docs/model.md, "MHIS by category").
-- Grain: one row per ICB, financial year and MHIS category or exclusion.
-- Keys: icb_id, fy, line_kind, line_id
-- Columns:
--   icb_id: the ICB
--   icb_name: the ICB's name
--   ics_id: the ICB's integrated care system
--   ics_name: the integrated care system's name
--   fy: financial year, e.g. 2025-26
--   months_reported: months of the year with ledger lines (12 = complete), as rpt_mhis
--   line_kind: mhis_category, excluded_service_line or excluded_funding_stream
--   line_id: the category (as service_lines.csv writes it), the excluded service line or the funding stream
--   line_name: what the board pack calls the row: the category, the service line's name or the stream's label
--   line_order: order of the rows within an ICB-year (CYP categories first, then the other categories, the
--     service-line exclusions, the funding-stream exclusions)
--   in_mhis: true for the MHIS categories (their amounts add up to rpt_mhis.mhis_spend), false for exclusions
--   part: 'MHIS spend' (in_mhis) or 'Outside the MHIS', the two parts of mental-health spend
--   cyp: true for a children and young people's category (mhis_cyp_categories)
--   service_lines: the service lines whose ledger lines make the row
--   funding_streams: the funding streams whose ledger lines make the row
--   amount: gross expenditure in the year (to date when the year is incomplete), pounds
--   cyp_amount: amount when cyp, else null (the children and young people's part of MHIS spend)
--   exclusion_reason: why the row is outside the MHIS (null for a category)
--   definition: the row's definition in words, shown beside its figure
CREATE OR REPLACE TEMP MACRO in_sentence(name) AS
    -- a name inside a sentence: 'Crisis houses' -> 'crisis houses'; 'NHS Talking Therapies', 'ADHD' kept
    CASE WHEN regexp_matches(name, '^[A-Z][a-z]') THEN lower(left(name, 1)) || substr(name, 2) ELSE name END;
CREATE OR REPLACE TEMP MACRO stream_words(stream) AS
    -- a funding stream in words: s75_pooled -> 'section 75 pooled', non_recurrent -> 'non-recurrent'
    replace(replace(stream, 's75_pooled', 'section 75 pooled'), '_', '-');

CREATE OR REPLACE TABLE rpt_mhis_categories AS
WITH base_streams AS (
    SELECT unnest($mhis_funding_streams) AS funding_stream
),
excluded_streams AS (
    SELECT i, ($mhis_excluded_funding_streams)[i].funding_stream AS funding_stream,
           ($mhis_excluded_funding_streams)[i].label AS label, ($mhis_excluded_funding_streams)[i].reason AS reason
    FROM range(1, len($mhis_excluded_funding_streams) + 1) r(i)
),
service_lines AS (
    SELECT service_line, service_line_name, in_mhis, mental_health, exclusion_reason,
           coalesce(nullif(trim(mhis_category), ''), 'Uncategorised MHIS service lines') AS category
    FROM dim_service_line
    WHERE in_mhis OR mental_health
),
-- The rows every ICB-year shows, with the service lines and funding streams behind each.
catalogue AS (
    SELECT 'mhis_category' AS line_kind, category AS line_id, category AS line_name, true AS in_mhis,
           list_contains($mhis_cyp_categories, category) AS cyp,
           list(service_line ORDER BY service_line) AS service_lines,
           (SELECT list(funding_stream ORDER BY funding_stream) FROM base_streams) AS funding_streams,
           CAST(NULL AS VARCHAR) AS exclusion_reason,
           'Gross ICB spend on ' || string_agg(in_sentence(service_line_name), ', ' ORDER BY service_line_name)
               || '; ' || (SELECT string_agg(stream_words(funding_stream), ' and ' ORDER BY funding_stream)
                           FROM base_streams) || ' funds' AS definition,
           CASE WHEN list_contains($mhis_cyp_categories, category) THEN 0
                WHEN category = 'Uncategorised MHIS service lines' THEN 2 ELSE 1 END AS group_order,
           coalesce(list_position($mhis_cyp_categories, category), 0) AS within_order
    FROM service_lines
    WHERE in_mhis
    GROUP BY category
    UNION ALL
    SELECT 'excluded_service_line', service_line, service_line_name, false, false, [service_line],
           NULL, coalesce(nullif(trim(exclusion_reason), ''), 'Outside the MHIS (service_lines.csv: in_mhis false)'),
           'Gross ICB spend on ' || in_sentence(service_line_name) || ', any fund. Excluded: '
               || coalesce(nullif(trim(exclusion_reason), ''), 'the service line is outside the MHIS'),
           3, 0
    FROM service_lines
    WHERE mental_health AND NOT in_mhis
    UNION ALL
    SELECT 'excluded_funding_stream', funding_stream, label, false, false,
           (SELECT list(service_line ORDER BY service_line) FROM service_lines WHERE in_mhis), [funding_stream],
           reason, 'Gross ICB spend on MHIS service lines from ' || in_sentence(label) || '. Excluded: ' || reason,
           4, i
    FROM excluded_streams
),
ordered AS (
    SELECT *, CAST(row_number() OVER (ORDER BY group_order, within_order, line_name) AS INTEGER) AS line_order
    FROM catalogue
),
-- Each ICB expenditure line on a mental-health or MHIS service line, in the one row it counts in.
assigned AS (
    SELECT l.partner_id AS icb_id, l.fy,
           CASE WHEN s.in_mhis AND l.funding_stream IN (SELECT funding_stream FROM base_streams) THEN 'mhis_category'
                WHEN NOT s.in_mhis THEN 'excluded_service_line'
                ELSE 'excluded_funding_stream' END AS line_kind,
           CASE WHEN s.in_mhis AND l.funding_stream IN (SELECT funding_stream FROM base_streams) THEN s.category
                WHEN NOT s.in_mhis THEN s.service_line
                ELSE coalesce(l.funding_stream, '(none)') END AS line_id,
           sum(l.amount) AS amount
    FROM fct_ledger l
    JOIN service_lines s ON s.service_line = l.service_line
    WHERE l.partner_kind = 'icb' AND l.line_type = 'expenditure'
    GROUP BY ALL
),
-- A funding stream settings.yaml does not name (only a line with no stream at all can have one) still
-- gets a row, so the rows always add up to mental-health spend.
unnamed_streams AS (
    SELECT DISTINCT 'excluded_funding_stream' AS line_kind, a.line_id, 'Funding stream not stated' AS line_name,
           false AS in_mhis, false AS cyp,
           (SELECT list(service_line ORDER BY service_line) FROM service_lines WHERE in_mhis) AS service_lines,
           [a.line_id] AS funding_streams, 'The line names no funding stream in mhis_funding_streams' AS exclusion_reason,
           'Gross ICB spend on MHIS service lines with no funding stream the MHIS settings name' AS definition,
           CAST(1000 AS INTEGER) AS line_order
    FROM assigned a
    WHERE a.line_kind = 'excluded_funding_stream'
      AND a.line_id NOT IN (SELECT funding_stream FROM excluded_streams)
),
rows_shown AS (
    SELECT line_kind, line_id, line_name, in_mhis, cyp, service_lines, funding_streams, exclusion_reason,
           definition, line_order
    FROM ordered
    UNION ALL
    SELECT * FROM unnamed_streams
)
SELECT m.icb_id, m.icb_name, m.ics_id, m.ics_name, m.fy, m.months_reported,
       r.line_kind, r.line_id, r.line_name, r.line_order, r.in_mhis,
       CASE WHEN r.in_mhis THEN 'MHIS spend' ELSE 'Outside the MHIS' END AS part,
       r.cyp, r.service_lines, r.funding_streams,
       CAST(coalesce(a.amount, 0) AS DECIMAL(18, 2)) AS amount,
       CAST(CASE WHEN r.cyp THEN coalesce(a.amount, 0) END AS DECIMAL(18, 2)) AS cyp_amount,
       r.exclusion_reason, r.definition
FROM rpt_mhis m
CROSS JOIN rows_shown r
LEFT JOIN assigned a ON a.icb_id = m.icb_id AND a.fy = m.fy AND a.line_kind = r.line_kind AND a.line_id = r.line_id
ORDER BY m.icb_id, m.fy, r.line_order;
