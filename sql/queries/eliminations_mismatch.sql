-- eliminations_mismatch: payments between submitting partners that the two ledgers do not
-- agree on (from rpt_eliminations): months where the payer's and the payee's figures
-- differ by more than the agreement-of-balances statement threshold, and month-12 years
-- whose cumulative difference must be explained; largest differences first.
-- params: fy (financial year YYYY-YY, default: all), partner_id (payer or payee, default: all)
-- example: openbook query eliminations_mismatch --fy 2025-26 --partner_id wfmh
SELECT payer_id, payer_name, payee_id, payee_name, period, payer_amount, payee_amount, difference,
       status, ytd_difference, must_explain, statement_threshold
FROM rpt_eliminations
WHERE (status = 'mismatched' OR must_explain)
  AND ($fy IS NULL OR fy = $fy)
  AND ($partner_id IS NULL OR $partner_id IN (payer_id, payee_id))
ORDER BY abs(difference) DESC, period, payer_id, payee_id;
