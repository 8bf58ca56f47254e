-- transactions_behind: the ledger lines behind an open-book figure (from fct_drilldown),
-- with the file and row each one came from: filter by partner, month (or a whole financial
-- year), service line, funding stream, system and place. Their gross_spend adds up to the
-- matching rpt_mh_spend and rpt_open_book figures; eliminated_spend and net_spend to the
-- consolidated ones.
-- params: partner_id (default: all), period (YYYY-MM, default: latest), fy (financial year YYYY-YY; when given it replaces period, default: all),
--   service_line (default: all), funding_stream (default: all), ics_id (default: all), place_id (default: all)
-- example: openbook query transactions_behind --partner_id haven --period 2026-03 --service_line crisis_house
WITH chosen AS (
    SELECT coalesce($period, (SELECT max(period) FROM fct_drilldown)) AS period
)
SELECT d.partner_id, d.period, d.ics_id, d.place_id, d.service_line, d.funding_stream,
       d.posting_date, d.cost_centre, d.counterparty, d.counterparty_partner_id, d.description,
       d.transaction_id, d.gross_spend, d.eliminated_spend, d.net_spend,
       regexp_extract(d.source_file, '[^/]+$') AS file, d.source_row, d.load_id
FROM fct_drilldown d, chosen c
WHERE (CASE WHEN $fy IS NOT NULL THEN d.fy = $fy ELSE d.period = c.period END)
  AND ($partner_id IS NULL OR d.partner_id = $partner_id)
  AND ($service_line IS NULL OR d.service_line = $service_line)
  AND ($funding_stream IS NULL OR d.funding_stream = $funding_stream)
  AND ($ics_id IS NULL OR d.ics_id = $ics_id)
  AND ($place_id IS NULL OR d.place_id = $place_id)
ORDER BY abs(d.gross_spend) DESC, d.partner_id, d.load_id, d.source_row;
