-- funding_inconsistencies: like services funded unlike (from rpt_funding_consistency):
-- contracts for the same service line, capacity unit and kind of provider whose funding
-- stream or contract type differs from the one most of them share, or whose value per unit
-- of capacity is far from the group's median, with the reasons in words.
-- params: fy (financial year YYYY-YY, default: latest), service_line (default: all)
-- example: openbook query funding_inconsistencies --fy 2025-26 --service_line crisis_house
SELECT fy, service_line, capacity_unit, provider_kind, contract_id, commissioner_id, provider_id,
       place_id, contract_type, funding_stream, annual_value, capacity, value_per_unit,
       median_value_per_unit, value_vs_median_pct, provider_spend_per_unit, like_contracts,
       like_funding_streams, like_contract_types, flag_reasons
FROM rpt_funding_consistency
WHERE flagged
  AND fy = coalesce($fy, (SELECT max(fy) FROM rpt_funding_consistency))
  AND ($service_line IS NULL OR service_line = $service_line)
ORDER BY service_line, contract_id;
