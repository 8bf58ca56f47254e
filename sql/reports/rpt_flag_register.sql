-- rpt_flag_register: the flag register: every flag the analytics raise (rpt_flags) with the oversight
-- group's decisions on it (rpt_flag_decisions), its status and its history in words. Status: new (no
-- decision yet); open (explained, an action set or a position adjudicated); overdue (an action set
-- since the flag was last closed is past its due date and the flag is not closed); closed (the latest
-- decision closed it); recurred (closed, but raised again in a month later than the one it was
-- closed in). The date overdue is judged on is the bound parameter $today.
-- Grain: one row per flag.
-- Keys: flag_id
-- Columns:
--   flag_id: stable id of the flag (see rpt_flags)
--   kind: variation_outlier, funding_inconsistency, slippage, mhis_risk, reconciliation_break, contract_overrun,
--     budget_overspend or lead_provider_overspend
--   kind_name: the kind in words
--   kind_order: the kind's place in the register
--   subject: what the flag is about
--   ics_id: the integrated care system concerned (null when the subject serves both systems)
--   ics_name: the integrated care system's name
--   source_table: the rpt table that raises the flag
--   source_keys: the keys of the flag's rows in source_table
--   first_seen_fy: the first financial year the flag was raised in
--   first_seen_period: the first month the flag was raised (see rpt_flags)
--   last_seen_period: the latest month the flag is raised
--   years_flagged: the financial years the flag was raised in
--   amount: the money at stake, pounds (see rpt_flags)
--   summary: the finding in plain English
--   status: new, open, overdue, closed or recurred
--   status_order: 1 overdue, 2 recurred, 3 new, 4 open, 5 closed (the order a register is read in)
--   recurred: true when the flag has been raised again after it was closed (now or before a later decision)
--   decisions: number of decisions recorded on the flag
--   latest_decision: the latest decision: explained, action, adjudicated or closed (null when none)
--   latest_decision_on: its date
--   latest_decision_by: who recorded it
--   latest_decision_text: the latest decision in words, e.g. 'Explained: Carrow Lodge is a system-wide unit'
--     ('No decision yet' when there is none)
--   status_text: the status in words, e.g. 'Overdue: action due 2026-01-31 (owner: NW contracts team)',
--     'Recurred: raised again in 2026-02 after it was closed on 2026-01-10'
--   action_owner: the owner of the action outstanding (set since the flag was last closed), if any
--   action_due: its due date
--   closed_on: the date of the latest closing decision, if the flag is closed or recurred
--   history: every decision in order, in words, separated by ' | '
--   register_date: the date the status was judged on ($today)
--   links: the flags, data-quality warnings and possible repeat payments on the same ledger lines (rpt_flag_links)
--   see_also: those links in words, largest shared money first, e.g. 'REPEAT-nw_icb-2025-12 (£30,000.00 paid
--     more than once: Peerlink £30,000.00 x 2 on 2025-12-15)' (null when none)
CREATE OR REPLACE TABLE rpt_flag_register AS
WITH decisions AS (
    SELECT *,
           coalesce(as_at_period, strftime(decided_on, '%Y-%m')) AS judged_as_at,
           CASE decision
                WHEN 'explained' THEN 'Explained: ' || reason
                WHEN 'action' THEN 'Action: ' || coalesce(reason || ' - ', '') || 'owner ' || owner || ', due '
                                   || strftime(due_date, '%Y-%m-%d')
                WHEN 'adjudicated' THEN 'Adjudicated: ' || position
                WHEN 'closed' THEN 'Closed: ' || reason
           END AS decision_text
    FROM rpt_flag_decisions
),
see_also AS (
    SELECT flag_id, count(*) AS links,
           string_agg(related_id || ' (' || CASE related_kind
                          WHEN 'flag' THEN format('£{:,.2f} of the same ledger lines', shared_amount)
                          WHEN 'dq_warning' THEN 'warned at load: ' || reason
                          ELSE reason END || ')',
                      '; ' ORDER BY abs(shared_amount) DESC, related_id) AS see_also
    FROM rpt_flag_links
    GROUP BY flag_id
),
per_flag AS (
    SELECT f.flag_id,
           count(d.seq) AS decisions,
           max(d.seq) AS latest_seq,
           max(d.seq) FILTER (WHERE d.decision = 'closed') AS last_close_seq,
           coalesce(bool_or(d.decision = 'closed' AND f.last_seen_period > d.judged_as_at), false) AS recurred,
           string_agg(strftime(d.decided_on, '%Y-%m-%d') || ' ' || d.decided_by || ': ' || d.decision_text, ' | '
                      ORDER BY d.seq) AS history
    FROM rpt_flags f
    LEFT JOIN decisions d ON d.flag_id = f.flag_id
    GROUP BY f.flag_id
),
outstanding_action AS (
    SELECT p.flag_id, max(d.seq) AS action_seq
    FROM per_flag p
    JOIN decisions d ON d.flag_id = p.flag_id AND d.decision = 'action' AND d.seq > coalesce(p.last_close_seq, 0)
    GROUP BY p.flag_id
),
judged AS (
    SELECT f.*, p.decisions, p.recurred, p.history,
           latest.decision AS latest_decision, latest.decided_on AS latest_decision_on,
           latest.decided_by AS latest_decision_by,
           coalesce(latest.decision_text, 'No decision yet') AS latest_decision_text, latest.judged_as_at,
           action.owner AS action_owner, action.due_date AS action_due,
           CASE WHEN latest.decision = 'closed' THEN latest.decided_on END AS closed_on,
           CASE WHEN p.decisions = 0 THEN 'new'
                WHEN latest.decision = 'closed' AND f.last_seen_period > latest.judged_as_at THEN 'recurred'
                WHEN latest.decision = 'closed' THEN 'closed'
                WHEN action.due_date < CAST($today AS DATE) THEN 'overdue'
                ELSE 'open' END AS status
    FROM rpt_flags f
    JOIN per_flag p ON p.flag_id = f.flag_id
    LEFT JOIN decisions latest ON latest.flag_id = f.flag_id AND latest.seq = p.latest_seq
    LEFT JOIN outstanding_action o ON o.flag_id = f.flag_id
    LEFT JOIN decisions action ON action.flag_id = f.flag_id AND action.seq = o.action_seq
)
SELECT flag_id, kind, kind_name, kind_order, subject, ics_id, ics_name, source_table, source_keys,
       first_seen_fy, first_seen_period, last_seen_period, years_flagged, amount, summary,
       status,
       CASE status WHEN 'overdue' THEN 1 WHEN 'recurred' THEN 2 WHEN 'new' THEN 3 WHEN 'open' THEN 4 ELSE 5 END
           AS status_order,
       CASE status
            WHEN 'new' THEN 'New: no decision yet'
            WHEN 'open' THEN 'Open: ' || coalesce('action due ' || strftime(action_due, '%Y-%m-%d')
                                                  || ' (owner: ' || action_owner || ')', latest_decision)
            WHEN 'overdue' THEN 'Overdue: action due ' || strftime(action_due, '%Y-%m-%d') || ' (owner: '
                                || action_owner || ')'
            WHEN 'closed' THEN 'Closed on ' || strftime(closed_on, '%Y-%m-%d')
            ELSE 'Recurred: raised again in ' || last_seen_period || ' after it was closed on '
                 || strftime(closed_on, '%Y-%m-%d') || ' (as at ' || judged_as_at || ')'
       END AS status_text,
       recurred, decisions, latest_decision, latest_decision_on, latest_decision_by, latest_decision_text,
       action_owner, action_due, closed_on, history,
       CAST($today AS DATE) AS register_date,
       coalesce(l.links, 0) AS links, l.see_also
FROM judged
LEFT JOIN see_also l USING (flag_id)
ORDER BY status_order, kind_order, flag_id;
