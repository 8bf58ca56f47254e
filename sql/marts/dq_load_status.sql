-- dq_load_status: whether each current submission passed its blocking data-quality
-- checks; only passed submissions reach fct_ledger and the reports. Built after `settle`
-- (assets/ingest/last_good.py): a resubmission that was blocked has been rejected and the
-- month's previous good submission is current again, so a bad file never takes a good
-- month out of the figures.
-- Grain: one row per current submission (load).
-- Keys: load_id
-- Columns:
--   load_id: the submission's load id (see load_log)
--   partner_id: the partner that sent the submission
--   period: the month the submission covers (YYYY-MM)
--   source_file: the file as received in the inbox
--   status: passed, blocked (an ERROR expectation failed) or unchecked (checks not run yet)
--   error_failures: number of ERROR expectations that failed (each blocks the submission)
--   warnings: number of WARN expectations that failed (reported, not blocking)
CREATE OR REPLACE TABLE dq_load_status AS
SELECT l.load_id, l.partner_id, l.period, l.source_file,
       CASE WHEN count(d.load_id) = 0 THEN 'unchecked'
            WHEN bool_or(d.severity = 'ERROR' AND NOT d.passed) THEN 'blocked'
            ELSE 'passed' END AS status,
       count(*) FILTER (WHERE d.severity = 'ERROR' AND NOT d.passed) AS error_failures,
       count(*) FILTER (WHERE d.severity = 'WARN' AND NOT d.passed) AS warnings
FROM load_log l
LEFT JOIN dq_results d ON d.load_id = l.load_id
WHERE l.status = 'current'
GROUP BY ALL;
