-- partner_loads: the load log for one partner: every file it sent, what became of it
-- (current, superseded by a resubmission, failed), the rows read, loaded, quarantined and
-- skipped, and whether it passed its blocking data-quality checks.
-- params: partner_id (default: haven), period (YYYY-MM, default: all)
-- example: openbook query partner_loads --partner_id la_brookcarrow --period 2025-06
SELECT l.period, l.status AS load_status, d.status AS checks, d.error_failures, d.warnings,
       l.rows_read, l.rows_loaded, l.rows_quarantined, l.rows_skipped,
       regexp_extract(l.source_file, '[^/]+$') AS file, l.file_modified_at, l.loaded_at,
       l.message, l.load_id, l.sha256
FROM load_log l
LEFT JOIN dq_load_status d ON d.load_id = l.load_id
WHERE l.partner_id = $partner_id
  AND ($period IS NULL OR l.period = $period)
ORDER BY l.period DESC, l.loaded_at DESC;
