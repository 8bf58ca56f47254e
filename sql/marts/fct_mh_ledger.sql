-- fct_mh_ledger: every fct_ledger line on a mental-health service line (dim_service_line.mental_health),
-- with its ICS attributed, reader-facing names, the sector that delivers the service and whether the
-- line is eliminated from the consolidated open book. An expenditure line is eliminated when it pays
-- another submitting partner: that partner's own spend is counted instead, so no pound is counted
-- twice. Lines on a cost centre with no place take the partner's home ICS; a partner serving both
-- systems (Haven) has none, so such a line takes the ICS of the partner on the other side of it (the
-- funder, for income) and, failing that, goes to the 'both_systems' bucket; it is never split.
-- Grain: one row per source line of a submission.
-- Keys: load_id, source_row
-- Columns:
--   load_id: the submission the line came from (see load_log)
--   source_file: the file the line came from
--   source_row: the row (xlsx) or line (csv) number in that file
--   partner_id: the partner whose ledger holds the line
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   ics_id: the integrated care system the line is attributed to (see ics_attribution)
--   ics_name: the integrated care system's name ('Both systems' for the both_systems bucket)
--   ics_attribution: how ics_id was found: place (the cost centre's place), partner (the partner's
--     home ICS), counterparty (the ICS of the partner paid or paying) or both_systems (none of these)
--   place_id: the place the cost centre serves (null for system-wide services)
--   place_name: the place's name ('System-wide' when the cost centre has no place)
--   period: the month of the submission (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   posting_date: the date the line was posted
--   cost_centre: the partner's cost centre as written in its ledger
--   expense_type: account, subjective or expense type as written
--   counterparty: supplier, payer or funder as written
--   counterparty_partner_id: the partner the counterparty is, when it is one of the system's partners
--   counterparty_partner_name: that partner's name
--   counterparty_submits: true when the counterparty is a partner that sends its own ledger
--   description: narrative as written
--   transaction_id: the partner's transaction number, where its layout has one
--   service_line: service line (see dim_service_line)
--   service_line_name: the service line's name
--   in_mhis: true when the service line counts towards the MHIS
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   line_type: expenditure or income
--   scheme_id: the ICB investment scheme of the cost centre, if any
--   amount: pounds as in the ledger; positive = money out, negative = money in
--   is_eliminated: true for an expenditure line paying another submitting partner
--   gross_spend: the line's expenditure (amount on expenditure lines, 0 on income lines)
--   eliminated_spend: the part of gross_spend eliminated (all of it when is_eliminated, else 0)
--   net_spend: gross_spend - eliminated_spend, the line's contribution to consolidated spend
--   delivered_by_partner_id: the partner that delivers the service: the partner paid when the line
--     pays one, else the ledger's own partner
--   sector: sector of the organisation delivering the service: nhs, local_authority, vcse or independent
--   sector_name: Statutory NHS, Local authority, Voluntary sector (VCSE) or Independent sector
--   sector_basis: paid_to_partner (the sector of the partner paid) or own_ledger (the ledger partner's
--     own sector: it delivers the service itself, or pays a supplier outside the partnership whose
--     sector the reference data does not record)
CREATE OR REPLACE TABLE fct_mh_ledger AS
WITH sector_of_kind (partner_kind, sector, sector_name) AS (
    VALUES ('icb', 'nhs', 'Statutory NHS'), ('nhs_trust', 'nhs', 'Statutory NHS'),
           ('lead_provider', 'nhs', 'Statutory NHS'), ('local_authority', 'local_authority', 'Local authority'),
           ('vcse', 'vcse', 'Voluntary sector (VCSE)'), ('independent', 'independent', 'Independent sector')
),
ics_names AS (
    SELECT DISTINCT ics_id, ics_name FROM ref_places
),
mental_health_lines AS (
    SELECT l.*, s.service_line_name, s.in_mhis
    FROM fct_ledger l
    JOIN dim_service_line s ON s.service_line = l.service_line AND s.mental_health
),
with_counterparty AS (
    SELECT m.*,
           c.partner_name AS counterparty_partner_name,
           c.partner_kind AS counterparty_kind,
           c.ics_id AS counterparty_ics_id,
           coalesce(c.submits, false) AS counterparty_submits,
           m.line_type = 'expenditure' AND coalesce(c.submits, false)
               AND m.counterparty_partner_id <> m.partner_id AS is_eliminated
    FROM mental_health_lines m
    LEFT JOIN dim_partner c ON c.partner_id = m.counterparty_partner_id
),
attributed AS (
    SELECT *,
           CASE WHEN place_id IS NOT NULL THEN 'place'
                WHEN ics_id IS NOT NULL THEN 'partner'
                WHEN counterparty_ics_id IS NOT NULL THEN 'counterparty'
                ELSE 'both_systems' END AS ics_attribution,
           coalesce(ics_id, counterparty_ics_id, 'both_systems') AS attributed_ics_id,
           CASE WHEN line_type = 'expenditure' AND counterparty_kind IS NOT NULL THEN counterparty_partner_id
                ELSE partner_id END AS delivered_by_partner_id,
           CASE WHEN line_type = 'expenditure' AND counterparty_kind IS NOT NULL THEN counterparty_kind
                ELSE partner_kind END AS delivered_by_kind
    FROM with_counterparty
)
SELECT a.load_id, a.source_file, a.source_row, a.partner_id, a.partner_name, a.partner_kind,
       a.attributed_ics_id AS ics_id, coalesce(i.ics_name, 'Both systems') AS ics_name, a.ics_attribution,
       a.place_id, coalesce(pl.place_name, 'System-wide') AS place_name,
       a.period, a.fy, a.fy_month, a.posting_date, a.cost_centre, a.expense_type, a.counterparty,
       a.counterparty_partner_id, a.counterparty_partner_name, a.counterparty_submits,
       a.description, a.transaction_id, a.service_line, a.service_line_name, a.in_mhis,
       a.funding_stream, a.line_type, a.scheme_id, a.amount, a.is_eliminated,
       CASE WHEN a.line_type = 'expenditure' THEN a.amount ELSE 0 END::DECIMAL(18, 2) AS gross_spend,
       CASE WHEN a.is_eliminated THEN a.amount ELSE 0 END::DECIMAL(18, 2) AS eliminated_spend,
       CASE WHEN a.line_type = 'expenditure' AND NOT a.is_eliminated THEN a.amount ELSE 0 END::DECIMAL(18, 2)
           AS net_spend,
       a.delivered_by_partner_id, s.sector, s.sector_name,
       CASE WHEN a.delivered_by_partner_id = a.partner_id THEN 'own_ledger' ELSE 'paid_to_partner' END AS sector_basis
FROM attributed a
LEFT JOIN ics_names i ON i.ics_id = a.attributed_ics_id
LEFT JOIN ref_places pl ON pl.place_id = a.place_id
LEFT JOIN sector_of_kind s ON s.partner_kind = a.delivered_by_kind;
