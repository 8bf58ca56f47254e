-- rpt_flag_decisions: the oversight group's decisions on flags, as recorded in
-- <home>/config/flag_decisions.yaml (validated by workbench/flags.py, written by `openbook flags decide`):
-- each flag's history of decisions in the order recorded. The file is the record; this table is its
-- copy in the warehouse, rebuilt on every run, so reports can show decisions beside the flags.
-- Bound parameters: one list per column, all the same length (one element per decision).
-- Grain: one row per decision.
-- Keys: flag_id, seq
-- Columns:
--   flag_id: the flag decided on (see rpt_flags.flag_id)
--   seq: the decision's place in the flag's history, 1 = first
--   decision: explained, action, adjudicated or closed
--   decided_on: the date of the decision
--   decided_by: who recorded it
--   reason: the explanation (explained), the reason for closing (closed) or a note on the action
--   owner: who owns the action (action)
--   due_date: when the action is due (action)
--   position: the agreed position (adjudicated)
--   as_at_period: the latest month the flag had been seen in when the decision was recorded (YYYY-MM);
--     a closed flag seen in a later month has recurred
CREATE OR REPLACE TABLE rpt_flag_decisions AS
SELECT unnest(CAST($flag_id AS VARCHAR[])) AS flag_id,
       unnest(CAST($seq AS INTEGER[])) AS seq,
       unnest(CAST($decision AS VARCHAR[])) AS decision,
       unnest(CAST($decided_on AS DATE[])) AS decided_on,
       unnest(CAST($decided_by AS VARCHAR[])) AS decided_by,
       unnest(CAST($reason AS VARCHAR[])) AS reason,
       unnest(CAST($owner AS VARCHAR[])) AS owner,
       unnest(CAST($due_date AS DATE[])) AS due_date,
       unnest(CAST($position AS VARCHAR[])) AS position,
       unnest(CAST($as_at_period AS VARCHAR[])) AS as_at_period;
