-- fct_ledger: every accepted ledger line of every current submission that passed its
-- blocking checks, with partner, place and ICS attributes. Positive amounts are money
-- going out (expenditure, payments), negative amounts money coming in (income, credits).
-- A view, not a copy: it is stg_ledger's passed lines with a handful of attributes from
-- small tables, so materialising it would write the whole ledger a third time on every run.
-- Grain: one row per source line of a submission.
-- Keys: load_id, source_row
-- Columns:
--   load_id: the submission the line came from (see load_log for file, sha256, loaded at)
--   partner_id: the partner whose ledger holds the line
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   ics_id: the integrated care system, from the cost centre's place (else the partner's ICS)
--   place_id: the place the cost centre serves (null for system-wide services)
--   period: the month of the submission (YYYY-MM)
--   fy: the financial year, April to March, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1, March = 12)
--   posting_date: the date the line was posted (the period's last day where the layout has none)
--   cost_centre: the partner's cost centre as written in its ledger
--   expense_type: account, subjective or expense type as written
--   counterparty: supplier, payer or funder as written (REDACTED kept; null when blank)
--   counterparty_partner_id: the partner the counterparty is, when it is one of the system's partners
--   description: narrative as written
--   transaction_id: the partner's transaction number, where its layout has one
--   amount: pounds, DECIMAL(18,2); positive = money out, negative = money in
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   service_line: service line from the cost-centre map or a mapping rule, 'unclassified' when nothing
--     maps the line (see dim_service_line)
--   line_type: expenditure or income, from the cost-centre map or mapping rule (expenditure when unmapped)
--   scheme_id: the ICB investment scheme the cost centre belongs to, if any
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   mapped_by: what mapped the line: cost_centre_map, rule, default (the partner's default rule) or unmapped
--   mapping_rule: the map row or rule that mapped it, e.g. mapping_rules line 7 (priority 10): counterparty
--     prefix "OXLEAS" (null when unmapped)
CREATE OR REPLACE VIEW fct_ledger AS
SELECT s.load_id, s.partner_id, p.name AS partner_name, p.kind AS partner_kind,
       coalesce(pl.ics_id, p.ics_id) AS ics_id, s.place_id,
       s.period, fy_of(s.period) AS fy, fy_month_of(s.period) AS fy_month, s.posting_date,
       s.cost_centre, s.expense_type, s.counterparty, s.counterparty_partner_id,
       s.description, s.transaction_id, s.amount, s.funding_stream, s.service_line,
       s.line_type, s.scheme_id, s.source_file, s.source_row, s.mapped_by, s.mapping_rule
FROM stg_ledger s
JOIN dq_load_status d ON d.load_id = s.load_id AND d.status = 'passed'
LEFT JOIN ref_partners p ON p.partner_id = s.partner_id
LEFT JOIN ref_places pl ON pl.place_id = s.place_id;
