-- fct_mh_ledger_by_recipient: every mental-health expenditure line that counts in consolidated spend
-- (not eliminated), with the sector of the organisation that received the money - the one rule
-- rpt_sector_share_by_recipient sums and its drill-down pages list. The sector is the counterparty
-- register's class (dim_counterparty: nhs_body, local_authority, vcse, independent_healthcare; unknown
-- gives unclassified) when the line pays an organisation other than the ledger's own partner; money a
-- partner pays its own staff, individuals or ordinary private suppliers (other_private), or a line
-- naming no counterparty, is the partner delivering the service itself (in house) and takes the paying
-- partner's own sector.
-- Grain: one row per expenditure line on a mental-health service line, eliminated lines left out.
-- Keys: load_id, source_row
-- Columns:
--   load_id: the submission the line came from (see load_log)
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   partner_id: the partner whose ledger holds the line
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   ics_id: the integrated care system the line is attributed to (as fct_mh_ledger)
--   ics_name: the integrated care system's name
--   period: the month of the submission (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   cost_centre: the partner's cost centre as written in its ledger
--   counterparty: supplier as written
--   description: narrative as written
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   line_type: expenditure (every line here)
--   amount: pounds as in the ledger
--   net_spend: the line's contribution to consolidated spend (its amount: eliminated lines are left out)
--   recipient_sector: nhs, local_authority, vcse, independent or unclassified: who received the money
--   in_house: true when the money stayed with the paying partner (its staff, individuals, ordinary
--     private suppliers, or no counterparty named): recipient_sector is then the partner's own sector
--   paid_to_others_spend: net_spend when the money went to an organisation of the sector outside the
--     paying partner (not in house), else 0
CREATE OR REPLACE VIEW fct_mh_ledger_by_recipient AS
WITH sector_of_class (counterparty_class, sector) AS (
    VALUES ('nhs_body', 'nhs'), ('local_authority', 'local_authority'), ('vcse', 'vcse'),
           ('independent_healthcare', 'independent'), ('unknown', 'unclassified')
),
sector_of_kind (partner_kind, sector) AS (
    VALUES ('icb', 'nhs'), ('nhs_trust', 'nhs'), ('lead_provider', 'nhs'), ('local_authority', 'local_authority'),
           ('vcse', 'vcse'), ('independent', 'independent')
)
SELECT m.load_id, m.source_file, m.source_row, m.partner_id, m.partner_name, m.partner_kind, m.ics_id,
       m.ics_name, m.period, m.fy, m.cost_centre, m.counterparty, m.description, m.service_line,
       m.service_line_name, m.funding_stream, m.line_type, m.amount, m.net_spend,
       coalesce(sc.sector, sk.sector) AS recipient_sector,
       sc.sector IS NULL AS in_house,
       CASE WHEN sc.sector IS NOT NULL THEN m.net_spend ELSE 0 END AS paid_to_others_spend
FROM fct_mh_ledger m
JOIN sector_of_kind sk ON sk.partner_kind = m.partner_kind
LEFT JOIN dim_counterparty d ON d.counterparty = m.counterparty
LEFT JOIN sector_of_class sc ON sc.counterparty_class = coalesce(d.counterparty_class, 'unknown')
                            AND m.counterparty IS NOT NULL
                            AND m.counterparty_partner_id IS DISTINCT FROM m.partner_id
WHERE m.line_type = 'expenditure' AND NOT m.is_eliminated;
