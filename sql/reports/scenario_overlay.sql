-- scenario_change_lines: the adjustments a rebalancing scenario makes, before they are shaped as ledger
-- lines (sql/reports/scenario_apply.sql): each change of the scenario (workbench/scenarios.py) inserts
-- its lines here (scenario_move.sql, scenario_fund_like_services.sql) and its plan changes into
-- scenario_plan_changes (scenario_hand_back.sql). Made in the scenario's scratch database only, never
-- in the warehouse.
-- Grain: one row per adjustment line (scenario_plan_changes: per plan adjustment).
-- Columns:
--   change_no: the change's place in the scenario file, 1 = first
--   change_kind: move, fund_like_services or hand_back
--   partner_id: the partner whose ledger the line is booked in
--   place_id: the place the line is coded to (null: system-wide)
--   period: month (YYYY-MM)
--   cost_centre: the cost centre booked to (SCENARIO when the partner has none for it)
--   counterparty: supplier or payer as it would be written
--   counterparty_partner_id: the partner paid or paying, if any
--   amount: pounds, the sign convention of the ledger (positive = money out)
--   funding_stream: recurrent, non_recurrent, sdf, s75_pooled or grant
--   service_line: service line
--   line_type: expenditure or income
--   scheme_id: the ICB investment scheme the line counts to, if any
--   note: what the line does, in words
CREATE OR REPLACE TABLE scenario_change_lines (
    change_no INTEGER NOT NULL, change_kind VARCHAR NOT NULL, partner_id VARCHAR NOT NULL, place_id VARCHAR,
    period VARCHAR NOT NULL, cost_centre VARCHAR, counterparty VARCHAR, counterparty_partner_id VARCHAR,
    amount DECIMAL(18, 2) NOT NULL, funding_stream VARCHAR, service_line VARCHAR, line_type VARCHAR NOT NULL,
    scheme_id VARCHAR, note VARCHAR
);

CREATE OR REPLACE TABLE scenario_plan_changes (
    change_no INTEGER NOT NULL, change_kind VARCHAR NOT NULL, scheme_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
    planned_amount DECIMAL(18, 2) NOT NULL, note VARCHAR
);
