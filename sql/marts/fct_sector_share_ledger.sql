-- fct_sector_share_ledger: every mental-health expenditure line with the keys rpt_sector_share groups it
-- by - the one rule the report sums and its drill-down pages list. A line counts to its system and, when
-- its cost centre serves a place, to that place too, so it has a row per geography it counts in (the
-- system row labelled with the system's name, as the report's area). The sector is fct_mh_ledger's
-- sector of the delivering partner. Eliminated lines are kept at net_spend 0, as the report sums them.
-- A view: a handful of attributes over fct_mh_ledger's lines.
-- Grain: one row per expenditure line on a mental-health service line and geography it counts in.
-- Keys: load_id, source_row, geography_level
-- Columns:
--   load_id: the submission the line came from (see load_log)
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   geography_level: ics (every line of the system) or place (lines coded to the place)
--   ics_id: the integrated care system the line is attributed to (as fct_mh_ledger)
--   ics_name: the integrated care system's name
--   place_id: the place (null on ics rows)
--   place_name: the place's name (the system's name on ics rows): the report's area
--   partner_id: the partner whose ledger holds the line
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   period: the month of the submission (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   cost_centre: the partner's cost centre as written in its ledger
--   counterparty: supplier as written
--   description: narrative as written
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   line_type: expenditure (every line here)
--   amount: pounds as in the ledger
--   is_eliminated: true for a line paying another submitting partner (net_spend 0)
--   sector: nhs, local_authority, vcse or independent: the delivering partner's sector
--   sector_name: Statutory NHS, Local authority, Voluntary sector (VCSE) or Independent sector
--   net_spend: the line's contribution to consolidated spend, pounds
--   own_ledger_external_spend: net_spend when a commissioner (ICB or council) pays a supplier outside
--     the partnership (counted to the commissioner's own sector), else 0
CREATE OR REPLACE VIEW fct_sector_share_ledger AS
WITH lines AS (
    SELECT load_id, source_file, source_row, ics_id, ics_name, place_id, place_name, partner_id, partner_name,
           partner_kind, period, fy, fy_month, cost_centre, counterparty, description, service_line,
           service_line_name, funding_stream, line_type, amount, is_eliminated, sector, sector_name, net_spend,
           CASE WHEN sector_basis = 'own_ledger' AND partner_kind IN ('icb', 'local_authority')
                     AND counterparty_partner_id IS NULL THEN net_spend ELSE 0 END AS own_ledger_external_spend
    FROM fct_mh_ledger
    WHERE line_type = 'expenditure'
),
geographies (geography_level) AS (
    VALUES ('ics'), ('place')
)
SELECT l.load_id, l.source_file, l.source_row, g.geography_level, l.ics_id, l.ics_name,
       CASE WHEN g.geography_level = 'place' THEN l.place_id END AS place_id,
       CASE WHEN g.geography_level = 'place' THEN l.place_name ELSE l.ics_name END AS place_name,
       l.partner_id, l.partner_name, l.partner_kind, l.period, l.fy, l.fy_month, l.cost_centre, l.counterparty,
       l.description, l.service_line, l.service_line_name, l.funding_stream, l.line_type, l.amount,
       l.is_eliminated, l.sector, l.sector_name, l.net_spend, l.own_ledger_external_spend
FROM lines l
JOIN geographies g ON g.geography_level = 'ics' OR l.place_id IS NOT NULL;
