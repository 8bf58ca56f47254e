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
-- raw_cells stays out of the candidates (it is most of a raw row's bytes) and is joined
-- back for the few quarantined lines; staged rows are written in load order so that the
-- checks' per-submission scans skip the other submissions' row groups.
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

CREATE OR REPLACE TEMP TABLE stg_candidates AS
WITH unique_id_partners AS (
    SELECT partner_id FROM source_checks WHERE transaction_ids_unique
),
repeated AS (
    -- transaction ids that occur more than once in a submission, with their first row, for
    -- the partners that declare their ids unique
    SELECT load_id, transaction_id, min(source_row) AS first_row
    FROM raw_ledger
    WHERE period = $period AND transaction_id IS NOT NULL
      AND partner_id IN (SELECT partner_id FROM unique_id_partners)
    GROUP BY ALL
    HAVING count(*) > 1
),
defaults AS (
    SELECT partner_id, arg_min(file_line, [priority, file_line]) AS file_line
    FROM ref_mapping_rules
    WHERE match = 'default'
    GROUP BY ALL
),
mapped AS (
    SELECT r.* EXCLUDE (raw_cells),
           coalesce(r.source_row > d.first_row, false) AS is_repeat,
           d.first_row,
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
    LEFT JOIN repeated d
           ON d.load_id = r.load_id AND d.transaction_id = r.transaction_id
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
)
SELECT * EXCLUDE (map),
       map.service_line, map.place_id, map.line_type, map.scheme_id,
       -- the ledger's own funding stream wins over the mapping's, as before rules
       coalesce(funding_stream, map.funding_stream) AS mapped_funding_stream,
       map.by AS mapped_by, map.rule AS mapping_rule
FROM mapped;

INSERT INTO quarantine
SELECT c.load_id, c.partner_id, c.period, c.source_file, c.source_row, 'staging', 'transaction_id',
       'DUPLICATE_TRANSACTION',
       format('{} row {}, field transaction_id: "{}" repeats row {} (amount {})',
              parse_filename(c.source_file), c.source_row, c.transaction_id, c.first_row,
              CAST(c.amount AS VARCHAR)),
       r.raw_cells
FROM stg_candidates c
JOIN raw_ledger r ON r.load_id = c.load_id AND r.source_row = c.source_row
WHERE c.is_repeat;

INSERT INTO stg_ledger
SELECT load_id, partner_id, period, source_file, source_row, posting_date, cost_centre,
       expense_type, counterparty, counterparty_partner_id, description, transaction_id,
       amount, mapped_funding_stream, service_line, place_id, line_type, scheme_id,
       mapped_by, mapping_rule, extra
FROM stg_candidates
WHERE NOT is_repeat
ORDER BY load_id, source_row;

DROP TABLE stg_candidates;
DROP TABLE stg_rule_pick;
