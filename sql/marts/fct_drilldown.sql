-- fct_drilldown: the ledger lines behind every rpt_open_book figure (a view over fct_mh_ledger).
-- Filter it on an rpt_open_book row's keys (ics_id, place_id, partner_id, service_line,
-- funding_stream, period; place_id null = system-wide, so compare with IS NOT DISTINCT FROM) and
-- sum gross_spend, eliminated_spend or net_spend to get the row's figure; each line carries its
-- source file, row and load id. Year-to-date figures are the same filter over the FY's months
-- up to the row's period.
-- Grain: one row per expenditure line on a mental-health service line.
-- Keys: load_id, source_row
-- Columns:
--   ics_id: integrated care system the line is attributed to (rpt_open_book key)
--   place_id: place of the cost centre, null for system-wide services (rpt_open_book key)
--   partner_kind: kind of the partner whose ledger holds the line
--   partner_id: the partner whose ledger holds the line (rpt_open_book key)
--   service_line: service line (rpt_open_book key)
--   funding_stream: funding stream (rpt_open_book key)
--   period: month (YYYY-MM) (rpt_open_book key)
--   fy: financial year
--   gross_spend: the line's expenditure, pounds
--   eliminated_spend: the part eliminated as a payment to another submitting partner
--   net_spend: gross_spend - eliminated_spend
--   counterparty: supplier as written
--   counterparty_partner_id: the partner paid, when it is one of the system's partners
--   cost_centre: the partner's cost centre
--   description: narrative as written
--   transaction_id: the partner's transaction number, where its layout has one
--   posting_date: the date the line was posted
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   load_id: the submission the line came from (see load_log)
CREATE OR REPLACE VIEW fct_drilldown AS
SELECT ics_id, place_id, partner_kind, partner_id, service_line, funding_stream, period, fy,
       gross_spend, eliminated_spend, net_spend,
       counterparty, counterparty_partner_id, cost_centre, description, transaction_id, posting_date,
       source_file, source_row, load_id
FROM fct_mh_ledger
WHERE line_type = 'expenditure';
