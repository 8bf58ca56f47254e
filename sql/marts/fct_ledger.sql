-- fct_ledger: every accepted ledger line of every current submission that passed its
-- blocking checks, with partner, place and ICS attributes. Grain: one row per source
-- line (load_id, source_row). Positive amounts are money out, negative money in.
CREATE OR REPLACE TABLE fct_ledger AS
SELECT s.load_id, s.partner_id, p.name AS partner_name, p.kind AS partner_kind,
       coalesce(pl.ics_id, p.ics_id) AS ics_id, s.place_id,
       s.period, fy_of(s.period) AS fy, fy_month_of(s.period) AS fy_month, s.posting_date,
       s.cost_centre, s.expense_type, s.counterparty, s.counterparty_partner_id,
       s.description, s.transaction_id, s.amount, s.funding_stream, s.service_line,
       s.line_type, s.scheme_id, s.source_file, s.source_row
FROM stg_ledger s
JOIN dq_load_status d ON d.load_id = s.load_id AND d.status = 'passed'
LEFT JOIN ref_partners p ON p.partner_id = s.partner_id
LEFT JOIN ref_places pl ON pl.place_id = s.place_id;
