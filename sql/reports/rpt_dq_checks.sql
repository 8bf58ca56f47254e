-- rpt_dq_checks: every data-quality check that failed on a current submission, with
-- what it checks in plain English and a sample of the failing values.
-- Grain: one row per submission and failed check.
-- Keys: partner_id, period, check_description
-- Columns:
--   ics_id: the partner's integrated care system (null for partners serving both)
--   partner_id: the partner
--   partner_name: the partner's name
--   period: the month the submission covers (YYYY-MM)
--   fy: financial year
--   check_description: what the check asks of the data
--   severity: ERROR (blocks the month) or WARN (reported only)
--   failing_rows: rows that failed the check
--   sample: some of the failing values, as JSON
CREATE OR REPLACE TABLE rpt_dq_checks AS
SELECT p.ics_id, r.partner_id, p.name AS partner_name, r.period, fy_of(r.period) AS fy,
       r.description AS check_description, r.severity, r.unexpected_count AS failing_rows,
       left(r.sample, 400) AS sample
FROM dq_results r
JOIN load_log l ON l.load_id = r.load_id AND l.status = 'current'
LEFT JOIN ref_partners p ON p.partner_id = r.partner_id
WHERE NOT r.passed;
