-- payments_to_partner: what the other partners' ledgers show paid to one partner, by payer,
-- month, service line and funding stream (the payers' side of the money; the partner's own
-- income is in its ledger as negative amounts).
-- params: partner_id (default: haven), fy (financial year YYYY-YY, default: latest)
-- example: openbook query payments_to_partner --partner_id oakridge --fy 2024-25
WITH chosen AS (
    SELECT coalesce($fy, (SELECT max(fy) FROM fct_ledger)) AS fy
)
SELECT l.counterparty_partner_id AS payee_id, l.partner_id AS payer_id, l.partner_name AS payer_name,
       l.period, l.service_line, l.funding_stream,
       sum(l.amount) AS paid, count(*) AS ledger_lines
FROM fct_ledger l
JOIN chosen c ON l.fy = c.fy
WHERE l.counterparty_partner_id = $partner_id
  AND l.partner_id <> $partner_id
GROUP BY ALL
ORDER BY l.period, l.partner_id, l.service_line, l.funding_stream;
