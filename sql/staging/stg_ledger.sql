-- stg_ledger: one period of raw ledger lines, each mapped through its partner's
-- cost-centre map and counterparty aliases. Lines whose cost centre is unknown, and
-- repeats of a transaction id within a submission, go to quarantine with a reason.
-- raw_record stays out of the candidates (it is most of a raw row's bytes) and is joined
-- back for the few quarantined lines; staged rows are written in load order so that the
-- checks' per-submission scans skip the other submissions' row groups.
DELETE FROM stg_ledger WHERE period = $period;
DELETE FROM quarantine WHERE period = $period AND stage = 'staging';

CREATE OR REPLACE TEMP TABLE stg_candidates AS
WITH repeated AS (
    -- transaction ids that occur more than once in a submission, with their first row
    SELECT load_id, transaction_id, min(source_row) AS first_row
    FROM raw_ledger
    WHERE period = $period AND transaction_id IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
)
SELECT r.* EXCLUDE (raw_record),
       m.cost_centre IS NULL AS unknown_cost_centre,
       coalesce(r.source_row > d.first_row, false) AS is_repeat,
       d.first_row,
       m.service_line, m.place_id, m.line_type, m.scheme_id,
       coalesce(r.funding_stream, m.funding_stream) AS mapped_funding_stream,
       a.partner_id AS counterparty_partner_id
FROM raw_ledger r
LEFT JOIN repeated d
       ON d.load_id = r.load_id AND d.transaction_id = r.transaction_id
LEFT JOIN ref_cost_centre_map m
       ON m.partner_id = r.partner_id AND m.cost_centre = r.cost_centre
LEFT JOIN (SELECT DISTINCT upper(trim(alias)) AS alias_key, partner_id FROM ref_partner_aliases) a
       ON a.alias_key = upper(trim(r.counterparty))
WHERE r.period = $period;

INSERT INTO quarantine
SELECT c.load_id, c.partner_id, c.period, c.source_file, c.source_row, 'staging',
       CASE WHEN c.unknown_cost_centre THEN 'cost_centre' ELSE 'transaction_id' END,
       CASE WHEN c.unknown_cost_centre THEN 'UNKNOWN_COST_CENTRE' ELSE 'DUPLICATE_TRANSACTION' END,
       CASE WHEN c.unknown_cost_centre
            THEN format('{} row {}, field cost_centre: "{}" is not in {}''s cost-centre map',
                        parse_filename(c.source_file), c.source_row, c.cost_centre, c.partner_id)
            ELSE format('{} row {}, field transaction_id: "{}" repeats row {} (amount {})',
                        parse_filename(c.source_file), c.source_row, c.transaction_id, c.first_row,
                        CAST(c.amount AS VARCHAR))
       END,
       r.raw_record
FROM stg_candidates c
JOIN raw_ledger r ON r.load_id = c.load_id AND r.source_row = c.source_row
WHERE c.unknown_cost_centre OR c.is_repeat;

INSERT INTO stg_ledger
SELECT load_id, partner_id, period, source_file, source_row, posting_date, cost_centre,
       expense_type, counterparty, counterparty_partner_id, description, transaction_id,
       amount, mapped_funding_stream, service_line, place_id, line_type, scheme_id, extra
FROM stg_candidates
WHERE NOT unknown_cost_centre AND NOT is_repeat
ORDER BY load_id, source_row;

DROP TABLE stg_candidates;
