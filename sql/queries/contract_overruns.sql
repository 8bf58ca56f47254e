-- contract_overruns: contracts paid above their annual value, or (block and grant) paid
-- well below it pro rata, in a financial year to date (from rpt_contracts): commissioner,
-- provider, value, expected and paid to date, and the over-run. Contracts within their value
-- are left out.
-- params: fy (financial year YYYY-YY, default: latest), commissioner_id (default: all)
-- example: openbook query contract_overruns --fy 2025-26 --commissioner_id nw_icb
SELECT contract_id, commissioner_id, provider_id, provider_name, provider_kind, service_line,
       contract_type, funding_stream, fy, as_at_period, annual_value, expected_to_date, paid_to_date,
       variance_to_expected, overrun, utilisation_pct, status
FROM rpt_contracts
WHERE status <> 'within_value'
  AND fy = coalesce($fy, (SELECT max(fy) FROM rpt_contracts))
  AND ($commissioner_id IS NULL OR commissioner_id = $commissioner_id)
ORDER BY status, overrun DESC, abs(variance_to_expected) DESC, contract_id;
