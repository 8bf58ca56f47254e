-- quarantine_by_reason: the rows held back from the warehouse, by reason, partner and month,
-- with the first example of each (quarantined rows never reach fct_ledger or the reports:
-- the partner corrects the file and resubmits it).
-- params: period (YYYY-MM, default: all), partner_id (default: all)
-- example: openbook query quarantine_by_reason --partner_id sf_icb
SELECT q.reason_code, q.partner_id, q.period, q.stage, q.field,
       count(*) AS rows_quarantined,
       arg_min(q.message, q.source_row) AS first_message,
       arg_min(regexp_extract(q.source_file, '[^/]+$'), q.source_row) AS file,
       min(q.source_row) AS first_row
FROM quarantine q
WHERE ($period IS NULL OR q.period = $period)
  AND ($partner_id IS NULL OR q.partner_id = $partner_id)
GROUP BY ALL
ORDER BY q.reason_code, q.partner_id, q.period;
