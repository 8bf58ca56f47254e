-- rpt_dq_quarantine: rows set aside from current submissions, by partner, period and
-- reason, with the reason in plain English and the first example's message.
-- Grain: one row per partner, period and reason.
-- Keys: partner_id, period, reason_code
-- Columns:
--   ics_id: the partner's integrated care system (null for partners serving both)
--   partner_id: the partner
--   partner_name: the partner's name
--   period: the month the submission covers (YYYY-MM)
--   fy: financial year
--   reason_code: BAD_AMOUNT, BAD_DATE, BLANK_SUPPLIER, DUPLICATE_TRANSACTION, ...
--   reason: what the reason means and what to fix
--   rows: number of rows set aside for this reason
--   example: the message of the first such row, naming file, row and field
CREATE OR REPLACE TABLE rpt_dq_quarantine AS
SELECT p.ics_id, q.partner_id, p.name AS partner_name, q.period, fy_of(q.period) AS fy, q.reason_code,
       CASE q.reason_code
            WHEN 'BAD_AMOUNT' THEN 'The amount is not a number of pounds and pence: please correct it'
            WHEN 'BAD_DATE' THEN 'The date does not exist or is not in a recognised format'
            WHEN 'BLANK_SUPPLIER' THEN 'The supplier is blank (write REDACTED if it must be withheld)'
            WHEN 'MISSING_FIELD' THEN 'A required field is blank'
            WHEN 'UNKNOWN_COST_CENTRE' THEN 'The cost centre is not in the cost-centre map: add it to the map or correct the code'
            WHEN 'DUPLICATE_TRANSACTION' THEN 'The transaction number appears twice in the file (the partner declares its numbers unique): the repeat was not loaded'
            WHEN 'BAD_FUNDING_STREAM' THEN 'The funding stream is not one of recurrent, non-recurrent, SDF, s75 pooled or grant'
            WHEN 'EXTRA_FIELDS' THEN 'The row has more columns than the header (an unquoted comma?)'
            ELSE 'See the example message' END AS reason,
       count(*) AS rows,
       arg_min(q.message, q.source_row) AS example
FROM quarantine q
JOIN load_log l ON l.load_id = q.load_id AND l.status = 'current'
LEFT JOIN ref_partners p ON p.partner_id = q.partner_id
GROUP BY ALL;
