-- ref_alliance_finance: Each alliance trust's spend by month, service line and service hours, from the alliance's shared cost return (not a ledger).
-- reference/alliance_finance.csv is optional (no file: no rows). spend is pounds with two places
-- (DECIMAL, never float); service_hours is seven_day, weekday or inpatient. The money a provider
-- measure counts (numerator source provider_finance) or divides by (denominator provider_total_spend).
CREATE OR REPLACE TABLE ref_alliance_finance AS
SELECT trim(period) AS period, trim(provider_id) AS provider_id, trim(service_line) AS service_line,
       trim(service_hours) AS service_hours, spend
FROM read_csv($path, header = true, quote = '"', columns = {
    'period': 'VARCHAR', 'provider_id': 'VARCHAR', 'service_line': 'VARCHAR',
    'service_hours': 'VARCHAR', 'spend': 'DECIMAL(18,2)'});
