-- dq_load_status: whether each current submission (load) passed its blocking checks.
-- Grain: one row per current load. status is passed, blocked (an ERROR expectation
-- failed) or unchecked (checks have not run on it yet); only passed loads reach fct_ledger.
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
