-- scenario_hand_back: a `hand_back` change: money an investment scheme will not spend is handed back
-- to its ICB, so the scheme's plan falls by that much. The money was never spent, so no ledger line
-- moves: the plan does ($amounts, negative, per month of $periods, pro rata to the plan). The scenario's
-- ref_investment_plans is the actual plan plus these changes (scenario_apply.sql).
-- Grain: one row of scenario_plan_changes per month of the plan changed.
INSERT INTO scenario_plan_changes BY NAME
SELECT $change_no AS change_no, 'hand_back' AS change_kind, $scheme AS scheme_id,
       unnest(CAST($periods AS VARCHAR[])) AS period, unnest(CAST($amounts AS DECIMAL(18, 2)[])) AS planned_amount,
       format('handed back to the ICB from scheme {}', $scheme) AS note;
