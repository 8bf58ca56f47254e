-- rpt_flags: every flag the analytics raise, for the oversight group's flag register: variation
-- outliers (rpt_variation), like services funded unlike (rpt_funding_consistency), slipping investment
-- schemes (rpt_plan_vs_actual, with the system's position from rpt_system_position), the Mental Health
-- Investment Standard not met or forecast not met (rpt_mhis), agreement-of-balances breaks
-- (rpt_eliminations), contract over-runs (rpt_contracts), partners' mental-health budgets forecast red
-- (rpt_mh_budget) and the lead provider spending more than its delegated budget (rpt_lead_provider).
-- A flag's id is made from its kind and the
-- keys of its subject only - never from row order or load ids - so the same finding keeps its id
-- across re-runs, later months and resubmissions, and decisions recorded against it
-- (<home>/config/flag_decisions.yaml, see rpt_flag_register) stay attached to it.
-- Yearly tables (variation, funding consistency, MHIS, contracts) and the year-to-date positions of
-- budgets and the lead provider's delegated budget are assessed as at the latest month
-- reported in each year; their first_seen_period is that month of the first year flagged.
-- Grain: one row per flag.
-- Keys: flag_id
-- Columns:
--   flag_id: stable id: kind prefix and subject keys, e.g. VAR-mh_spend_per_head-carrow (measure, unit),
--     FUND-SF-HAV-FEN (contract), SLIP-SF-S01-2025-26 (scheme, year), MHIS-sf_icb-2025-26 (ICB, year),
--     ELIM-nw_icb-wfmh-2025-11 (payer, payee, month), OVER-NW-PL-2025-26 (contract, year),
--     BUDGET-wfmh-crisis_home_treatment (partner, service line), LPOVER-fsc_lp (lead provider),
--     AGENCY-wfmh (provider)
--   kind: variation_outlier, funding_inconsistency, slippage, mhis_risk, reconciliation_break,
--     contract_overrun, budget_overspend, lead_provider_overspend or agency_over_cap
--   kind_name: the kind in words
--   kind_order: the kind's place in the register (1 = variation ... 6 = contract over-run, 7 = budget
--     overspend, 8 = lead provider over its delegated budget, 9 = agency spend over its limit)
--   subject: what the flag is about, in words
--   ics_id: the integrated care system concerned (null when the subject serves both systems)
--   ics_name: the integrated care system's name
--   source_table: the rpt table that raises the flag
--   source_keys: the keys of the flag's rows in source_table, e.g. 'measure_id=mh_spend_per_head; unit_id=carrow'
--   first_seen_fy: the first financial year the flag was raised in
--   first_seen_period: the first month the flag was raised (yearly tables: the latest month reported
--     of the first year flagged)
--   last_seen_period: the latest month the flag is raised (yearly tables: the latest month reported of
--     the latest year flagged); a closed flag raised again in a later month has recurred
--   years_flagged: the financial years the flag was raised in, e.g. '2024-25, 2025-26'
--   amount: the money at stake, pounds: variation - spend above (+) or below (-) the pooled rate in the
--     latest year flagged; funding - the contract's annual value; slippage - plan to date less actual
--     to date; MHIS - the shortfall (forecast shortfall in a part year); reconciliation - payer less
--     payee; over-run - paid above the annual value; budget - the forecast overspend (the outturn's at
--     month 12); lead provider - spend to date above the delegated budget to date; agency - agency
--     spend to date above the limit to date
--   summary: the finding in plain English
CREATE OR REPLACE TEMP MACRO flag_period(fy, fy_month) AS
    -- the month (YYYY-MM) that is month fy_month (April = 1) of financial year fy ('2025-26')
    strftime(make_date(CAST(substr(fy, 1, 4) AS INTEGER), 4, 1) + to_months(CAST(fy_month AS INTEGER) - 1), '%Y-%m');

CREATE OR REPLACE TEMP MACRO flag_money(amount) AS
    -- pounds as text with thousands separators and pence, e.g. 1,234,567.89
    format('{:,.2f}', CAST(amount AS DECIMAL(18, 2)));

CREATE OR REPLACE TABLE rpt_flags AS
WITH ics_names AS (
    SELECT DISTINCT ics_id, ics_name FROM ref_places
),
variation AS (
    SELECT *, flag_period(fy, months_reported) AS as_at_period,
           CASE flag WHEN 'above_998' THEN 'above its peers (99.8% limit)' WHEN 'above_95' THEN 'above its peers (95% limit)'
                     WHEN 'below_998' THEN 'below its peers (99.8% limit)' ELSE 'below its peers (95% limit)' END AS limit_text
    FROM rpt_variation
    WHERE flag <> 'none'
),
variation_flags AS (
    SELECT 'VAR-' || measure_id || '-' || unit_id AS flag_id, 'variation_outlier' AS kind,
           'Variation outlier' AS kind_name, 1 AS kind_order,
           unit_name || ': ' || measure_name AS subject, ics_id, ics_name, 'rpt_variation' AS source_table,
           'measure_id=' || measure_id || '; unit_id=' || unit_id AS source_keys,
           min(fy) OVER subject_years AS first_seen_fy,
           min(as_at_period) OVER subject_years AS first_seen_period,
           as_at_period AS last_seen_period,
           array_to_string(list_sort(list(fy) OVER subject_years), ', ') AS years_flagged,
           difference_vs_pooled AS amount,
           format('{}: {} was £{} per head in {} ({} months) against £{} for its {} peer {}s, {}; '
                  || '£{} {} the spend at the pooled rate of all {} {}s.',
                  unit_name, measure_name, format('{:,.2f}', rate), fy, months_reported, format('{:,.2f}', peer_rate),
                  peers, grouping, limit_text, flag_money(abs(difference_vs_pooled)),
                  CASE WHEN difference_vs_pooled >= 0 THEN 'above' ELSE 'below' END, units, grouping) AS summary
    FROM variation
    WINDOW subject_years AS (PARTITION BY measure_id, unit_id)
    QUALIFY row_number() OVER (PARTITION BY measure_id, unit_id ORDER BY fy DESC) = 1
),
funding_flags AS (
    SELECT 'FUND-' || f.contract_id AS flag_id, 'funding_inconsistency' AS kind,
           'Like services funded unlike' AS kind_name, 2 AS kind_order,
           f.service_line_name || ', ' || f.place_name || ': ' || f.provider_name || ' (' || f.contract_id || ')'
               AS subject,
           coalesce(c.ics_id, cm.ics_id) AS ics_id, coalesce(c.ics_name, i.ics_name) AS ics_name,
           'rpt_funding_consistency' AS source_table,
           'contract_id=' || f.contract_id AS source_keys,
           min(f.fy) OVER contract_years AS first_seen_fy,
           min(coalesce(c.as_at_period, flag_period(f.fy, 12))) OVER contract_years AS first_seen_period,
           coalesce(c.as_at_period, flag_period(f.fy, 12)) AS last_seen_period,
           array_to_string(list_sort(list(f.fy) OVER contract_years), ', ') AS years_flagged,
           f.annual_value AS amount,
           format('{}''s {} {} contract {} with {} (£{} a year, {} {}) differs from {} like contracts in {}: {}.',
                  f.commissioner_name, replace(f.funding_stream, '_', '-'), f.contract_type, f.contract_id,
                  f.provider_name, flag_money(f.annual_value), format('{:g}', CAST(f.capacity AS DOUBLE)),
                  f.capacity_unit, f.like_contracts - 1, f.fy, f.flag_reasons) AS summary
    FROM rpt_funding_consistency f
    LEFT JOIN rpt_contracts c ON c.contract_id = f.contract_id AND c.fy = f.fy
    LEFT JOIN dim_partner cm ON cm.partner_id = f.commissioner_id
    LEFT JOIN ics_names i ON i.ics_id = cm.ics_id
    WHERE f.flagged
    WINDOW contract_years AS (PARTITION BY f.contract_id)
    QUALIFY row_number() OVER (PARTITION BY f.contract_id ORDER BY f.fy DESC) = 1
),
slipping AS (
    SELECT * FROM rpt_plan_vs_actual WHERE status = 'slipping'
),
slippage_flags AS (
    SELECT 'SLIP-' || s.scheme_id || '-' || s.fy AS flag_id, 'slippage' AS kind,
           'Investment scheme slipping' AS kind_name, 3 AS kind_order,
           s.scheme_name || ' (' || s.scheme_id || '), ' || s.fy AS subject,
           s.ics_id, s.ics_name, 'rpt_plan_vs_actual' AS source_table,
           'scheme_id=' || s.scheme_id || '; fy=' || s.fy AS source_keys,
           s.fy AS first_seen_fy,
           min(s.period) OVER scheme_year AS first_seen_period,
           s.period AS last_seen_period,
           s.fy AS years_flagged,
           s.slippage_ytd AS amount,
           format('{} is {}% behind plan at {}: £{} spent against £{} planned to date; forecast outturn £{} '
                  || 'against a plan of £{} for the year. {}: net forecast underspend £{} over {} schemes, {} slipping.',
                  s.scheme_name, s.slippage_ytd_pct, s.period, flag_money(s.actual_ytd), flag_money(s.plan_ytd),
                  flag_money(s.forecast_outturn_plan_profile), flag_money(s.fy_plan), s.icb_name,
                  flag_money(p.net_forecast_underspend), p.schemes, p.slipping_schemes) AS summary
    FROM slipping s
    LEFT JOIN rpt_system_position p ON p.ics_id = s.ics_id AND p.fy = s.fy
    WINDOW scheme_year AS (PARTITION BY s.scheme_id, s.fy)
    QUALIFY row_number() OVER (PARTITION BY s.scheme_id, s.fy ORDER BY s.period DESC) = 1
),
mhis_flags AS (
    SELECT 'MHIS-' || icb_id || '-' || fy AS flag_id, 'mhis_risk' AS kind,
           'Mental Health Investment Standard at risk' AS kind_name, 4 AS kind_order,
           icb_name || ': MHIS ' || fy AS subject,
           ics_id, ics_name, 'rpt_mhis' AS source_table,
           'icb_id=' || icb_id || '; fy=' || fy AS source_keys,
           fy AS first_seen_fy,
           flag_period(fy, months_reported) AS first_seen_period,
           flag_period(fy, months_reported) AS last_seen_period,
           fy AS years_flagged,
           CAST(CASE WHEN met = false THEN shortfall ELSE required_spend - forecast_mhis_spend END AS DECIMAL(18, 2))
               AS amount,
           CASE WHEN met = false
                THEN format('{} did not meet the MHIS in {}: MHIS spend £{} against £{} required (allocation growth '
                            || '{}%, MHIS spend growth {}%); shortfall £{}.',
                            icb_name, fy, flag_money(mhis_spend), flag_money(required_spend),
                            round(allocation_growth_pct, 2), round(mhis_spend_growth_pct, 2), flag_money(shortfall))
                ELSE format('{} is forecast not to meet the MHIS in {}: run-rate forecast £{} after {} months against '
                            || '£{} required; forecast shortfall £{}.',
                            icb_name, fy, flag_money(forecast_mhis_spend), months_reported, flag_money(required_spend),
                            flag_money(required_spend - forecast_mhis_spend)) END AS summary
    FROM rpt_mhis
    WHERE met = false OR (met IS NULL AND forecast_met = false)
),
elimination_flags AS (
    SELECT 'ELIM-' || e.payer_id || '-' || e.payee_id || '-' || e.period AS flag_id,
           'reconciliation_break' AS kind, 'Agreement of balances break' AS kind_name, 5 AS kind_order,
           e.payer_name || ' to ' || e.payee_name || ', ' || e.period AS subject,
           coalesce(payer.ics_id, payee.ics_id) AS ics_id, i.ics_name, 'rpt_eliminations' AS source_table,
           'payer_id=' || e.payer_id || '; payee_id=' || e.payee_id || '; period=' || e.period AS source_keys,
           e.fy AS first_seen_fy, e.period AS first_seen_period, e.period AS last_seen_period, e.fy AS years_flagged,
           e.difference AS amount,
           format('In {} {} booked £{} paid to {}, which booked £{} received: a difference of £{}{}.{}',
                  e.period, e.payer_name, flag_money(e.payer_amount), e.payee_name, flag_money(e.payee_amount),
                  flag_money(e.difference),
                  CASE WHEN e.status = 'mismatched'
                       THEN format(', above the £{} statement threshold', flag_money(e.statement_threshold)) ELSE '' END,
                  CASE WHEN e.must_explain
                       THEN format(' At month 12 the year''s difference of £{} exceeds £{} and must be explained.',
                                   flag_money(e.ytd_difference), flag_money(e.month12_threshold)) ELSE '' END) AS summary
    FROM rpt_eliminations e
    LEFT JOIN dim_partner payer ON payer.partner_id = e.payer_id
    LEFT JOIN dim_partner payee ON payee.partner_id = e.payee_id
    LEFT JOIN ics_names i ON i.ics_id = coalesce(payer.ics_id, payee.ics_id)
    WHERE e.status = 'mismatched' OR e.must_explain
),
overrun_flags AS (
    SELECT 'OVER-' || contract_id || '-' || fy AS flag_id, 'contract_overrun' AS kind,
           'Contract over-run' AS kind_name, 6 AS kind_order,
           provider_name || ' under ' || contract_id || ' (' || coalesce(service_line_name, 'block contract') || '), '
               || fy AS subject,
           ics_id, ics_name, 'rpt_contracts' AS source_table,
           'contract_id=' || contract_id || '; fy=' || fy AS source_keys,
           fy AS first_seen_fy, as_at_period AS first_seen_period, as_at_period AS last_seen_period,
           fy AS years_flagged,
           overrun AS amount,
           format('{} has paid {} £{} under {} in {} to {}: £{} more than the contract''s annual value of £{} ({}% used).',
                  commissioner_name, provider_name, flag_money(paid_to_date), contract_id, fy, as_at_period,
                  flag_money(overrun), flag_money(annual_value), utilisation_pct) AS summary
    FROM rpt_contracts
    WHERE status = 'overrun'
),
budget_as_at AS (
    -- each budget's position as at the latest month reported in its year (month 12 for a past year)
    SELECT * FROM rpt_mh_budget
    QUALIFY period = max(period) OVER (PARTITION BY fy)
),
budget_flags AS (
    SELECT 'BUDGET-' || partner_id || '-' || service_line AS flag_id, 'budget_overspend' AS kind,
           'Mental-health budget overspend' AS kind_name, 7 AS kind_order,
           partner_name || ': ' || service_line_name || ' budget' AS subject,
           ics_id, ics_name, 'rpt_mh_budget' AS source_table,
           'partner_id=' || partner_id || '; service_line=' || service_line AS source_keys,
           min(fy) OVER subject_years AS first_seen_fy,
           min(period) OVER subject_years AS first_seen_period,
           period AS last_seen_period,
           array_to_string(list_sort(list(fy) OVER subject_years), ', ') AS years_flagged,
           forecast_variance AS amount,
           CASE WHEN is_outturn
                THEN format('{} outturn on {} in {}: £{} spent against a budget of £{}, £{} ({}%) over, above the '
                            || '{}% red tolerance.', partner_name, service_line_name, fy, flag_money(actual_ytd),
                            flag_money(annual_budget), flag_money(forecast_variance), forecast_variance_pct,
                            red_tolerance_pct)
                ELSE format('{} on {} in {}, month {}: £{} spent against £{} budgeted to date (£{} over); forecast '
                            || 'outturn £{} against a budget of £{}, £{} ({}%) over, above the {}% red tolerance.',
                            partner_name, service_line_name, fy, fy_month, flag_money(actual_ytd),
                            flag_money(budget_ytd), flag_money(variance_ytd), flag_money(forecast_outturn),
                            flag_money(annual_budget), flag_money(forecast_variance), forecast_variance_pct,
                            red_tolerance_pct) END AS summary
    FROM budget_as_at
    WHERE rag = 'red'
    WINDOW subject_years AS (PARTITION BY partner_id, service_line)
    QUALIFY row_number() OVER (PARTITION BY partner_id, service_line ORDER BY fy DESC) = 1
),
lead_provider_as_at AS (
    SELECT * FROM rpt_lead_provider
    QUALIFY period = max(period) OVER (PARTITION BY lead_provider_id, fy)
),
lead_provider_flags AS (
    SELECT 'LPOVER-' || lead_provider_id AS flag_id, 'lead_provider_overspend' AS kind,
           'Lead provider over its delegated budget' AS kind_name, 8 AS kind_order,
           lead_provider_name || ': spend against the delegated budget' AS subject,
           ics_id, ics_name, 'rpt_lead_provider' AS source_table,
           'lead_provider_id=' || lead_provider_id AS source_keys,
           min(fy) OVER subject_years AS first_seen_fy,
           min(period) OVER subject_years AS first_seen_period,
           period AS last_seen_period,
           array_to_string(list_sort(list(fy) OVER subject_years), ', ') AS years_flagged,
           ytd_over_delegated_budget AS amount,
           format('{} spent £{} in {} to {} against the £{} the ICBs delegated to it for those months: £{} over '
                  || 'its delegated budget.', lead_provider_name, flag_money(ytd_total_spend), fy, period,
                  flag_money(ytd_delegated_budget), flag_money(ytd_over_delegated_budget)) AS summary
    FROM lead_provider_as_at
    WHERE ytd_over_delegated_budget > 0
    WINDOW subject_years AS (PARTITION BY lead_provider_id)
    QUALIFY row_number() OVER (PARTITION BY lead_provider_id ORDER BY fy DESC) = 1
),
agency_as_at AS (
    -- each provider's agency spend as at the latest month reported in its year (month 12 for a past year)
    SELECT * FROM rpt_agency_spend
    QUALIFY period = max(period) OVER (PARTITION BY partner_id, fy)
),
agency_flags AS (
    SELECT 'AGENCY-' || a.partner_id AS flag_id, 'agency_over_cap' AS kind,
           'Agency staff spend over its limit' AS kind_name, 9 AS kind_order,
           a.partner_name || ': agency staff spend against its limit' AS subject,
           a.ics_id, n.ics_name, 'rpt_agency_spend' AS source_table,
           'partner_id=' || a.partner_id AS source_keys,
           min(a.fy) OVER subject_years AS first_seen_fy,
           min(a.period) OVER subject_years AS first_seen_period,
           a.period AS last_seen_period,
           array_to_string(list_sort(list(a.fy) OVER subject_years), ', ') AS years_flagged,
           a.variance_ytd AS amount,
           format('{} paid staffing agencies £{} in {} to {} against a limit to date of £{}: £{} ({}%) over.',
                  a.partner_name, flag_money(a.agency_ytd), a.fy, a.period, flag_money(a.cap_ytd),
                  flag_money(a.variance_ytd), a.variance_ytd_pct) AS summary
    FROM agency_as_at a
    LEFT JOIN ics_names n ON n.ics_id = a.ics_id
    WHERE a.rag = 'red'
    WINDOW subject_years AS (PARTITION BY a.partner_id)
    QUALIFY row_number() OVER (PARTITION BY a.partner_id ORDER BY a.fy DESC) = 1
),
every_flag AS (
    SELECT * FROM variation_flags
    UNION ALL BY NAME SELECT * FROM funding_flags
    UNION ALL BY NAME SELECT * FROM slippage_flags
    UNION ALL BY NAME SELECT * FROM mhis_flags
    UNION ALL BY NAME SELECT * FROM elimination_flags
    UNION ALL BY NAME SELECT * FROM overrun_flags
    UNION ALL BY NAME SELECT * FROM budget_flags
    UNION ALL BY NAME SELECT * FROM lead_provider_flags
    UNION ALL BY NAME SELECT * FROM agency_flags
)
SELECT flag_id, kind, kind_name, kind_order, subject, ics_id, ics_name, source_table, source_keys,
       first_seen_fy, first_seen_period, last_seen_period, years_flagged,
       CAST(amount AS DECIMAL(18, 2)) AS amount, summary
FROM every_flag
ORDER BY kind_order, flag_id;
