-- transactions_behind: the ledger lines behind a figure, with the file and row each one came
-- from: filter by partner, month (or a whole financial year), service line, funding stream,
-- system and line type. Their amounts add up to the matching rpt_mh_spend figure.
-- params: partner_id (default: all), period (YYYY-MM, default: latest), fy (financial year YYYY-YY; when given it replaces period, default: all),
--   service_line (default: all), funding_stream (default: all), ics_id (default: all), line_type (expenditure or income, default: expenditure)
-- example: openbook query transactions_behind --partner_id haven --period 2026-03 --service_line crisis_house
WITH chosen AS (
    SELECT coalesce($period, (SELECT max(period) FROM fct_ledger)) AS period
)
SELECT l.partner_id, l.period, l.ics_id, l.place_id, l.service_line, l.funding_stream, l.line_type,
       l.posting_date, l.cost_centre, l.expense_type, l.counterparty, l.description, l.transaction_id,
       l.amount, regexp_extract(l.source_file, '[^/]+$') AS file, l.source_row, l.load_id
FROM fct_ledger l, chosen c
WHERE (CASE WHEN $fy IS NOT NULL THEN l.fy = $fy ELSE l.period = c.period END)
  AND ($partner_id IS NULL OR l.partner_id = $partner_id)
  AND ($service_line IS NULL OR l.service_line = $service_line)
  AND ($funding_stream IS NULL OR l.funding_stream = $funding_stream)
  AND ($ics_id IS NULL OR l.ics_id = $ics_id)
  AND ($line_type IS NULL OR l.line_type = $line_type)
ORDER BY abs(l.amount) DESC, l.partner_id, l.load_id, l.source_row;
