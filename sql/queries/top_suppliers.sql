-- top_suppliers: the suppliers each system's partners paid most in a financial year, from
-- expenditure lines in every partner's ledger. Spellings of one supplier are counted
-- together (case, spaces); payments to the system's own partners are included and named
-- in supplier_partner_id; REDACTED payments to individuals and blank suppliers are left out.
-- params: fy (financial year YYYY-YY, default: latest), ics_id (default: all), top (number, default: 10)
-- example: openbook query top_suppliers --fy 2025-26 --ics_id south_fen --top 5
WITH chosen AS (
    SELECT coalesce($fy, (SELECT max(fy) FROM fct_ledger)) AS fy
),
paid AS (
    SELECT l.ics_id,
           coalesce(l.counterparty_partner_id,
                    lower(trim(regexp_replace(l.counterparty, '[\s\x{00A0}]+', ' ', 'g')))) AS supplier_key,
           mode(l.counterparty) AS supplier,
           any_value(l.counterparty_partner_id) AS supplier_partner_id,
           l.fy,
           sum(l.amount) AS paid,
           count(*) AS ledger_lines,
           string_agg(DISTINCT l.partner_id, ', ' ORDER BY l.partner_id) AS paid_by
    FROM fct_ledger l
    JOIN chosen c ON l.fy = c.fy
    WHERE l.line_type = 'expenditure'
      AND l.counterparty IS NOT NULL
      AND upper(l.counterparty) <> 'REDACTED'
      AND ($ics_id IS NULL OR l.ics_id = $ics_id)
    GROUP BY l.ics_id, supplier_key, l.fy
)
SELECT ics_id, fy,
       row_number() OVER (PARTITION BY ics_id ORDER BY paid DESC, supplier) AS rank,
       supplier, supplier_partner_id, paid, ledger_lines, paid_by
FROM paid
QUALIFY rank <= CAST($top AS INTEGER)
ORDER BY ics_id, rank;
