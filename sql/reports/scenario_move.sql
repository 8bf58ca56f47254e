-- scenario_move: a `move` change: take money from an ICB investment scheme and spend it on another
-- service line (at a place) or another scheme, month by month. For each month given ($periods, with
-- $amounts, the pounds moved that month) it books two lines in the scheme's ICB's ledger: a credit on
-- the scheme's cost centre (its actual falls by the amount) and the same amount of expenditure on the
-- receiving cost centre: $to_scheme's, else the ICB's cost centre for $to_service_line at $to_place
-- (a SCENARIO cost centre when the ICB has none). The receiving line's funding stream is
-- $funding_stream when given, else the receiving cost centre's (the scheme's when there is none).
-- Grain: two rows of scenario_change_lines per month moved.
INSERT INTO scenario_change_lines BY NAME
WITH months AS (
    SELECT unnest(CAST($periods AS VARCHAR[])) AS period, unnest(CAST($amounts AS DECIMAL(18, 2)[])) AS amount
),
source AS (
    SELECT partner_id, cost_centre, service_line, place_id, funding_stream, scheme_id
    FROM ref_cost_centre_map
    WHERE scheme_id = $from_scheme AND line_type = 'expenditure'
    ORDER BY cost_centre LIMIT 1
),
to_scheme AS (
    SELECT partner_id, cost_centre, service_line, place_id, funding_stream, scheme_id
    FROM ref_cost_centre_map
    WHERE scheme_id = $to_scheme AND line_type = 'expenditure'
    ORDER BY cost_centre LIMIT 1
),
plain_cc AS (
    -- the ICB's own (non-scheme) cost centre for the service line at the place, if it has one
    SELECT m.cost_centre, m.funding_stream
    FROM ref_cost_centre_map m
    JOIN source s ON s.partner_id = m.partner_id
    WHERE m.service_line = $to_service_line AND m.place_id IS NOT DISTINCT FROM $to_place
      AND m.line_type = 'expenditure' AND m.scheme_id IS NULL
    ORDER BY m.cost_centre LIMIT 1
),
target AS (
    SELECT s.partner_id, coalesce(t.cost_centre, c.cost_centre, 'SCENARIO') AS cost_centre,
           coalesce(t.service_line, $to_service_line) AS service_line,
           CASE WHEN t.scheme_id IS NOT NULL THEN t.place_id ELSE $to_place END AS place_id,
           coalesce($funding_stream, t.funding_stream, c.funding_stream, s.funding_stream) AS funding_stream,
           t.scheme_id
    FROM source s
    LEFT JOIN to_scheme t ON true
    LEFT JOIN plain_cc c ON true
)
SELECT $change_no AS change_no, 'move' AS change_kind, s.partner_id, s.place_id, m.period, s.cost_centre,
       'Scenario adjustment' AS counterparty, NULL AS counterparty_partner_id, -m.amount AS amount,
       s.funding_stream, s.service_line, 'expenditure' AS line_type, s.scheme_id,
       format('moved out of scheme {}', s.scheme_id) AS note
FROM months m CROSS JOIN source s
UNION ALL
SELECT $change_no, 'move', t.partner_id, t.place_id, m.period, t.cost_centre, 'Scenario adjustment', NULL, m.amount,
       t.funding_stream, t.service_line, 'expenditure', t.scheme_id,
       format('moved in from scheme {} to {}{}', $from_scheme, coalesce(t.scheme_id, t.service_line),
              CASE WHEN t.place_id IS NOT NULL THEN ' at ' || t.place_id ELSE '' END)
FROM months m CROSS JOIN target t;
