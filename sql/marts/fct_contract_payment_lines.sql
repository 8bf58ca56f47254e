-- fct_contract_payment_lines: every ledger line a contract pays, in each year the contract is in force: the
-- commissioner's expenditure lines naming the provider (counterparty_partner_id) in the year, with the
-- contract's funding stream, and on its service line and place where the contract names them. The one rule
-- rpt_contracts sums into paid_to_date (so rpt_contract_mix too) and the drill-down pages list. A line meeting
-- the terms of two contracts pays each (it has a row per contract), as each contract's paid to date counts it.
-- A view: the contract years over fct_ledger's lines.
-- Grain: one row per contract, financial year and ledger line it pays.
-- Keys: contract_id, fy, load_id, source_row
-- Columns:
--   contract_id: the contract the line pays
--   contract_type: block, cost_and_volume, grant or spot
--   contract_level: delegated_budget, subcontract or direct (see fct_contract_years)
--   ics_id: the commissioner's integrated care system (null for a commissioner serving both)
--   commissioner_id: the partner that holds the contract and pays
--   provider_id: the partner paid
--   load_id: the submission the line came from (see load_log)
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   partner_id: the partner whose ledger holds the line (the commissioner)
--   partner_name: the partner's name
--   period: the month of the submission (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   cost_centre: the partner's cost centre as written in its ledger
--   counterparty: supplier as written
--   description: narrative as written
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   place_id: the place the cost centre serves (null for system-wide services)
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   line_type: expenditure (every line here)
--   amount: pounds as in the ledger
CREATE OR REPLACE VIEW fct_contract_payment_lines AS
SELECT c.contract_id, c.contract_type, c.contract_level, c.ics_id, c.commissioner_id, c.provider_id,
       l.load_id, l.source_file, l.source_row, l.partner_id, l.partner_name, l.period, l.fy, l.cost_centre,
       l.counterparty, l.description, l.service_line, s.service_line_name, l.place_id, l.funding_stream,
       l.line_type, l.amount
-- The year matched as the range of its months, not by the lines' fy (fy_first_period in
-- sql/staging/create_tables.sql: that fy cost most of a read of this view)
FROM (SELECT *, fy_first_period(fy) AS first_period, fy_last_period(fy) AS last_period FROM fct_contract_years) c
JOIN fct_ledger l
  ON l.partner_id = c.commissioner_id AND l.counterparty_partner_id = c.provider_id
 AND l.period BETWEEN c.first_period AND c.last_period AND l.funding_stream = c.funding_stream
 AND (c.service_line IS NULL OR l.service_line = c.service_line)
 AND (c.place_id IS NULL OR l.place_id = c.place_id)
LEFT JOIN dim_service_line s ON s.service_line = l.service_line
WHERE l.line_type = 'expenditure';
