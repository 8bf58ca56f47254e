-- rpt_dq_unclassified: how much of each current submission no mapping classifies: lines on service line
-- 'unclassified' (no cost-centre map row, mapping rule or partner default matched them), with their pounds
-- and the largest unmapped key, so the mapping owner knows where rules are missing. Those lines are in
-- every ledger total but in no mental-health figure; `openbook mapping unmapped` lists every key.
-- Grain: one row per partner and period (the current submission).
-- Keys: partner_id, period
-- Columns:
--   ics_id: the partner's integrated care system (null for partners serving both)
--   partner_id: the partner
--   partner_name: the partner's name
--   period: the month the submission covers (YYYY-MM)
--   fy: financial year
--   lines: ledger lines loaded from the submission
--   amount: their total, pounds
--   unclassified_lines: lines no mapping classifies
--   unclassified_amount: their total, pounds
--   unclassified_pct: unclassified lines' share of the submission's gross pounds (sum of absolute amounts), %
--   mapped_by_rule_lines: lines classified by a mapping rule or the partner default (not the cost-centre map)
--   largest_unmapped: the unmapped key (cost centre / expense type / supplier) with the most pounds, and its pounds
CREATE OR REPLACE TABLE rpt_dq_unclassified AS
WITH per_load AS (
    SELECT load_id, count(*) AS lines, sum(amount) AS amount, sum(abs(amount)) AS gross,
           count(*) FILTER (WHERE mapped_by = 'unmapped') AS unclassified_lines,
           coalesce(sum(amount) FILTER (WHERE mapped_by = 'unmapped'), 0) AS unclassified_amount,
           coalesce(sum(abs(amount)) FILTER (WHERE mapped_by = 'unmapped'), 0) AS unclassified_gross,
           count(*) FILTER (WHERE mapped_by IN ('rule', 'default')) AS mapped_by_rule_lines
    FROM stg_ledger
    GROUP BY ALL
),
unmapped_keys AS (
    SELECT load_id,
           concat_ws(' / ', coalesce(cost_centre, '(no cost centre)'), coalesce(expense_type, '(no expense type)'),
                     coalesce(counterparty, '(no supplier)')) AS key,
           sum(amount) AS amount
    FROM stg_ledger
    WHERE mapped_by = 'unmapped'
    GROUP BY ALL
),
largest AS (
    SELECT load_id, arg_max(key || ': £' || format('{:,.2f}', amount), abs(amount)) AS largest_unmapped
    FROM unmapped_keys
    GROUP BY ALL
)
SELECT p.ics_id, l.partner_id, p.name AS partner_name, l.period, fy_of(l.period) AS fy,
       s.lines, CAST(s.amount AS DECIMAL(18, 2)) AS amount,
       s.unclassified_lines, CAST(s.unclassified_amount AS DECIMAL(18, 2)) AS unclassified_amount,
       CAST(CASE WHEN s.gross > 0 THEN round(100 * s.unclassified_gross / s.gross, 1) ELSE 0 END
            AS DECIMAL(5, 1)) AS unclassified_pct,
       s.mapped_by_rule_lines, g.largest_unmapped
FROM load_log l
JOIN per_load s ON s.load_id = l.load_id
LEFT JOIN largest g ON g.load_id = l.load_id
LEFT JOIN ref_partners p ON p.partner_id = l.partner_id
WHERE l.status = 'current';
