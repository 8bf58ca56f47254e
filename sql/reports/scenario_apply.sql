-- scenario_ledger_overlay: a scenario's adjustments as ledger lines, in fct_ledger's shape, and the
-- scenario's own fct_ledger and ref_investment_plans: views that are the actual position (the
-- warehouse, attached read-only as `base`) plus the overlay. Every rpt model is then run unchanged
-- against these views (workbench/scenarios.py), so a scenario goes through the same SQL as the actual
-- position. Overlay lines are tagged: load_id 'scenario:<name>', source_file the scenario's file,
-- transaction_id 'SCN-<name>-<change>-<n>', description the change in words.
-- Grain: one row per adjustment line.
-- Keys: load_id, source_row
CREATE OR REPLACE TABLE scenario_ledger_overlay AS
SELECT 'scenario:' || $scenario AS load_id, c.partner_id, p.partner_name, p.partner_kind,
       coalesce(pl.ics_id, p.ics_id) AS ics_id, c.place_id, c.period, fy_of(c.period) AS fy,
       fy_month_of(c.period) AS fy_month, last_day(CAST(c.period || '-01' AS DATE)) AS posting_date,
       c.cost_centre, 'Scenario adjustment' AS expense_type, c.counterparty, c.counterparty_partner_id,
       format('Scenario {}, change {} ({}): {}', $scenario, c.change_no, c.change_kind, c.note) AS description,
       format('SCN-{}-{}-{}', $scenario, c.change_no, row_number() OVER line_order) AS transaction_id,
       c.amount, c.funding_stream, c.service_line, c.line_type, c.scheme_id,
       $source_file AS source_file, CAST(row_number() OVER line_order AS BIGINT) AS source_row,
       c.change_no, c.change_kind
FROM scenario_change_lines c
LEFT JOIN dim_partner p ON p.partner_id = c.partner_id
LEFT JOIN (SELECT DISTINCT place_id, ics_id FROM ref_places) pl ON pl.place_id = c.place_id
WINDOW line_order AS (ORDER BY c.change_no, c.period, c.partner_id, c.line_type, c.amount, c.cost_centre, c.note);

CREATE OR REPLACE VIEW fct_ledger AS
SELECT * FROM base.main.fct_ledger
UNION ALL BY NAME
SELECT * EXCLUDE (change_no, change_kind) FROM scenario_ledger_overlay;

CREATE OR REPLACE VIEW ref_investment_plans AS
WITH schemes AS (
    SELECT DISTINCT icb_id, scheme_id, scheme_name, service_line, recurrence FROM base.main.ref_investment_plans
),
plan_lines AS (
    SELECT icb_id, scheme_id, scheme_name, service_line, period, planned_amount, recurrence
    FROM base.main.ref_investment_plans
    UNION ALL
    SELECT s.icb_id, s.scheme_id, s.scheme_name, s.service_line, c.period, c.planned_amount, s.recurrence
    FROM scenario_plan_changes c
    JOIN schemes s ON s.scheme_id = c.scheme_id
)
SELECT icb_id, scheme_id, scheme_name, service_line, period, CAST(sum(planned_amount) AS DECIMAL(18, 2)) AS planned_amount,
       recurrence
FROM plan_lines
GROUP BY icb_id, scheme_id, scheme_name, service_line, period, recurrence;
