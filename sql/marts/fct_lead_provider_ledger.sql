-- fct_lead_provider_ledger: every expenditure line of a lead provider's own ledger (any service line:
-- its hub and corporate costs too), with who it paid - the subcontractor when the line pays a partner
-- of the system (submitting or not), else 'other' (providers outside the partnership, suppliers, its
-- own staff). The one rule rpt_lead_provider_subcontractors sums and its drill-down pages list.
-- A view: a handful of attributes over fct_ledger's lines.
-- Grain: one row per expenditure line of a lead provider's ledger.
-- Keys: load_id, source_row
-- Columns:
--   load_id: the submission the line came from (see load_log)
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   partner_id: the lead provider whose ledger holds the line
--   partner_name: the lead provider's name
--   period: the month of the submission (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   cost_centre: the lead provider's cost centre as written in its ledger
--   counterparty: supplier as written
--   description: narrative as written
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   line_type: expenditure (every line here)
--   amount: pounds as in the ledger
--   subcontractor_id: the partner paid; 'other' for suppliers outside the partnership and own staff
--   subcontractor_name: the partner's name, or 'Other providers, suppliers and own staff'
--   subcontractor_kind: the partner's kind (nhs_trust, independent, ...); null for 'other'
CREATE OR REPLACE VIEW fct_lead_provider_ledger AS
SELECT l.load_id, l.source_file, l.source_row, l.partner_id, l.partner_name, l.period, l.fy, l.fy_month,
       l.cost_centre, l.counterparty, l.description, l.service_line, d.service_line_name, l.funding_stream,
       l.line_type, l.amount,
       coalesce(sub.partner_id, 'other') AS subcontractor_id,
       coalesce(sub.partner_name, 'Other providers, suppliers and own staff') AS subcontractor_name,
       sub.partner_kind AS subcontractor_kind
FROM fct_ledger l
LEFT JOIN dim_partner sub ON sub.partner_id = l.counterparty_partner_id
LEFT JOIN dim_service_line d ON d.service_line = l.service_line
WHERE l.partner_kind = 'lead_provider' AND l.line_type = 'expenditure';
