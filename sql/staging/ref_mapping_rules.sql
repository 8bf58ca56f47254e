-- ref_mapping_rules: Each partner's ordered mapping rules (exact, prefix or regex on a line's cost centre, expense type, expense area, supplier or description, and a partner default) giving service line, place, funding stream and line type to lines the cost-centre map does not know.
-- reference/mapping_rules.csv is optional: without it there are no rules (an empty file is
-- read instead). Lowest priority number wins; on a tie, the rule higher in the file.
-- field and match are compared lower-cased; exact and prefix ignore case and surrounding
-- spaces; a regex is DuckDB's (RE2) as written, so (?i) makes it ignore case. A regex that
-- does not compile is kept with pattern_valid = false (the suite reports it) and never used.
CREATE OR REPLACE TABLE ref_mapping_rules AS
WITH rules AS (
    SELECT *, row_number() OVER () + 1 AS file_line
    FROM read_csv($path, header = true, quote = '"', columns = {
        'partner_id': 'VARCHAR', 'priority': 'INTEGER', 'field': 'VARCHAR', 'match': 'VARCHAR',
        'pattern': 'VARCHAR', 'service_line': 'VARCHAR', 'place_id': 'VARCHAR',
        'line_type': 'VARCHAR', 'funding_stream': 'VARCHAR', 'scheme_id': 'VARCHAR'})
)
SELECT trim(partner_id) AS partner_id, priority, lower(trim(field)) AS field, lower(trim(match)) AS match,
       pattern, service_line, place_id, line_type, funding_stream, scheme_id, file_line,
       CASE WHEN lower(trim(match)) = 'regex' THEN try(regexp_matches('', pattern)) IS NOT NULL
            ELSE true END AS pattern_valid
FROM rules;
