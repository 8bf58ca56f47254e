-- stg_ledger: one period of raw ledger lines, each mapped to a service line, place, funding
-- stream and line type, and given the partner the counterparty is. Mapping, first that applies:
-- the partner's cost-centre map (exact cost centre), then its mapping rules in priority order
-- (exact, prefix or regex on cost centre, expense type, supplier or description), then its
-- default rule. A line nothing maps stays, as service line 'unclassified' (line type
-- expenditure, funding stream the ledger's own or 'unclassified'): it counts in every total
-- and is never mental-health spend until a rule maps it. mapped_by and mapping_rule say what
-- mapped each line. Every line is kept; only where the partner's config declares its
-- transaction ids unique (source_checks) does a repeated id go to quarantine
-- (DUPLICATE_TRANSACTION, the first row kept).
-- The lines are mapped and written in one pass, without raw_cells (most of a raw row's bytes),
-- which is read only for the few quarantined lines; staged rows are written in load order so
-- that the checks' per-submission scans skip the other submissions' row groups.
DELETE FROM stg_ledger WHERE period = $period;
DELETE FROM quarantine WHERE period = $period AND stage = 'staging';

-- The best rule for each line that some rule matches. Patterns are tried once per distinct
-- (partner, field, value), not once per line: suppliers and cost centres repeat.
CREATE OR REPLACE TEMP TABLE stg_rule_pick AS
WITH rules AS (
    SELECT *, upper(trim(pattern)) AS pattern_key
    FROM ref_mapping_rules WHERE pattern_valid AND match IN ('exact', 'prefix', 'regex')
),
line_values AS (
    SELECT load_id, source_row, partner_id, field, value
    FROM (SELECT load_id, source_row, partner_id, cost_centre, expense_type, counterparty, description
          FROM raw_ledger
          WHERE period = $period AND partner_id IN (SELECT partner_id FROM rules))
    UNPIVOT (value FOR field IN (cost_centre, expense_type, counterparty, description))
),
distinct_values AS (
    SELECT DISTINCT partner_id, field, value, upper(trim(value)) AS value_key FROM line_values
),
value_hits AS (
    -- exact rules by a hash join; prefix and regex rules compared pair by pair (a regex read
    -- from a table is compiled for every value it is tried on: prefer exact and prefix rules)
    SELECT v.partner_id, v.field, v.value, r.priority, r.file_line
    FROM distinct_values v
    JOIN rules r ON r.partner_id = v.partner_id AND r.field = v.field AND r.match = 'exact'
                AND r.pattern_key = v.value_key
    UNION ALL
    SELECT v.partner_id, v.field, v.value, r.priority, r.file_line
    FROM distinct_values v
    JOIN (SELECT * FROM rules WHERE match <> 'exact') r ON r.partner_id = v.partner_id AND r.field = v.field
    WHERE CASE r.match
              WHEN 'prefix' THEN starts_with(v.value_key, r.pattern_key)
              ELSE regexp_matches(v.value, r.pattern)
          END
)
SELECT l.load_id, l.source_row, arg_min(h.file_line, [h.priority, h.file_line]) AS file_line
FROM line_values l
JOIN value_hits h USING (partner_id, field, value)
GROUP BY ALL;

-- The lines whose transaction id repeats an earlier row's in their submission, for the partners
-- that declare their ids unique: few, so they are kept narrow and the lines are staged in one
-- pass with them left out, rather than every line materialised first.
CREATE OR REPLACE TEMP TABLE stg_repeats AS
WITH repeated AS (
    -- transaction ids that occur more than once in a submission, with their first row
    SELECT load_id, transaction_id, min(source_row) AS first_row
    FROM raw_ledger
    WHERE period = $period AND transaction_id IS NOT NULL
      AND partner_id IN (SELECT partner_id FROM source_checks WHERE transaction_ids_unique)
    GROUP BY ALL
    HAVING count(*) > 1
)
SELECT r.load_id, r.source_row, d.first_row
FROM raw_ledger r
JOIN repeated d ON d.load_id = r.load_id AND d.transaction_id = r.transaction_id
WHERE r.period = $period AND r.source_row > d.first_row;

INSERT INTO quarantine
SELECT r.load_id, r.partner_id, r.period, r.source_file, r.source_row, 'staging', 'transaction_id',
       'DUPLICATE_TRANSACTION',
       format('{} row {}, field transaction_id: "{}" repeats row {} (amount {})',
              parse_filename(r.source_file), r.source_row, r.transaction_id, d.first_row,
              CAST(r.amount AS VARCHAR)),
       r.raw_cells
FROM stg_repeats d
JOIN raw_ledger r ON r.load_id = d.load_id AND r.source_row = d.source_row
WHERE r.period = $period;

INSERT INTO stg_ledger
WITH defaults AS (
    SELECT partner_id, arg_min(file_line, [priority, file_line]) AS file_line
    FROM ref_mapping_rules
    WHERE match = 'default'
    GROUP BY ALL
),
mapped AS (
    SELECT r.* EXCLUDE (raw_cells),
           CASE WHEN m.cost_centre IS NOT NULL THEN
                    {'by': 'cost_centre_map', 'rule': 'cost_centre_map ' || m.cost_centre,
                     'service_line': m.service_line::VARCHAR, 'place_id': m.place_id::VARCHAR, 'line_type': m.line_type::VARCHAR,
                     'funding_stream': m.funding_stream::VARCHAR, 'scheme_id': m.scheme_id::VARCHAR}
                WHEN rule.file_line IS NOT NULL THEN
                    {'by': 'rule', 'rule': format('mapping_rules line {} (priority {}): {} {} "{}"',
                                                  rule.file_line, rule.priority, rule.field, rule.match, rule.pattern),
                     'service_line': rule.service_line::VARCHAR, 'place_id': rule.place_id::VARCHAR, 'line_type': rule.line_type::VARCHAR,
                     'funding_stream': rule.funding_stream::VARCHAR, 'scheme_id': rule.scheme_id::VARCHAR}
                WHEN dflt.file_line IS NOT NULL THEN
                    {'by': 'default', 'rule': format('mapping_rules line {} (priority {}): default',
                                                     dflt.file_line, dflt.priority),
                     'service_line': dflt.service_line::VARCHAR, 'place_id': dflt.place_id::VARCHAR, 'line_type': dflt.line_type::VARCHAR,
                     'funding_stream': dflt.funding_stream::VARCHAR, 'scheme_id': dflt.scheme_id::VARCHAR}
                ELSE {'by': 'unmapped', 'rule': NULL, 'service_line': 'unclassified', 'place_id': NULL,
                      'line_type': 'expenditure', 'funding_stream': 'unclassified', 'scheme_id': NULL}
           END AS map,
           a.partner_id AS counterparty_partner_id
    FROM raw_ledger r
    LEFT JOIN ref_cost_centre_map m
           ON m.partner_id = r.partner_id AND m.cost_centre = r.cost_centre
    LEFT JOIN stg_rule_pick p
           ON p.load_id = r.load_id AND p.source_row = r.source_row
    LEFT JOIN ref_mapping_rules rule
           ON rule.partner_id = r.partner_id AND rule.file_line = p.file_line
    LEFT JOIN defaults df
           ON df.partner_id = r.partner_id
    LEFT JOIN ref_mapping_rules dflt
           ON dflt.partner_id = r.partner_id AND dflt.file_line = df.file_line
    LEFT JOIN (SELECT DISTINCT upper(trim(alias)) AS alias_key, partner_id FROM ref_partner_aliases) a
           ON a.alias_key = upper(trim(r.counterparty))
    WHERE r.period = $period
      AND NOT EXISTS (SELECT 1 FROM stg_repeats d WHERE d.load_id = r.load_id AND d.source_row = r.source_row)
)
SELECT load_id, partner_id, period, source_file, source_row, posting_date, cost_centre,
       expense_type, counterparty, counterparty_partner_id, description, transaction_id, amount,
       -- the ledger's own funding stream wins over the mapping's, as before rules
       coalesce(funding_stream, map.funding_stream), map.service_line, map.place_id, map.line_type,
       map.scheme_id, map.by, map.rule, extra
FROM mapped
ORDER BY load_id, source_row;

DROP TABLE stg_repeats;
DROP TABLE stg_rule_pick;
