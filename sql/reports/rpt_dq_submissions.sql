-- rpt_dq_submissions: data quality of each current submission, in words a partner's
-- finance officer understands: rows received, loaded, set aside and skipped, and the
-- checks it passed or failed.
-- Grain: one row per partner and period (the current submission).
-- Keys: partner_id, period
-- Columns:
--   ics_id: the partner's integrated care system (null for partners serving both)
--   partner_id: the partner
--   partner_name: the partner's name
--   period: the month the submission covers (YYYY-MM)
--   fy: financial year
--   source_file: the file's name as received
--   loaded_at: when the file was loaded
--   rows_read: data rows in the file
--   rows_loaded: rows accepted into the ledger
--   rows_quarantined: rows set aside with a reason (see rpt_dq_quarantine)
--   rows_skipped: totals, blank and note rows, which carry no ledger line
--   checks_failed: blocking (ERROR) checks that failed; any failure keeps the month out of the figures
--   warnings: reporting (WARN) checks that failed
--   status: "Accepted", "Accepted with warnings" or "Blocked: not in the figures"
CREATE OR REPLACE TABLE rpt_dq_submissions AS
SELECT p.ics_id, l.partner_id, p.name AS partner_name, l.period, fy_of(l.period) AS fy,
       parse_filename(l.source_file) AS source_file, l.loaded_at, l.rows_read,
       (SELECT count(*) FROM stg_ledger s WHERE s.load_id = l.load_id) AS rows_loaded,
       (SELECT count(*) FROM quarantine q WHERE q.load_id = l.load_id) AS rows_quarantined,
       l.rows_skipped,
       coalesce(d.error_failures, 0) AS checks_failed, coalesce(d.warnings, 0) AS warnings,
       CASE WHEN d.status = 'blocked' THEN 'Blocked: not in the figures'
            WHEN d.status = 'unchecked' THEN 'Not yet checked'
            WHEN d.warnings > 0 THEN 'Accepted with warnings'
            ELSE 'Accepted' END AS status
FROM load_log l
LEFT JOIN dq_load_status d ON d.load_id = l.load_id
LEFT JOIN ref_partners p ON p.partner_id = l.partner_id
WHERE l.status = 'current';
