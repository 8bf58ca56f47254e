-- ref_contracts: Contract register: commissioner, provider, subcontract link, type, value, dates.
CREATE OR REPLACE TABLE ref_contracts AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'contract_id': 'VARCHAR', 'commissioner_id': 'VARCHAR', 'provider_id': 'VARCHAR',
    'parent_contract_id': 'VARCHAR', 'service_line': 'VARCHAR', 'contract_type': 'VARCHAR',
    'annual_value': 'DECIMAL(18,2)', 'start_date': 'DATE', 'end_date': 'DATE',
    'funding_stream': 'VARCHAR', 'place_id': 'VARCHAR', 'capacity': 'DECIMAL(18,2)',
    'capacity_unit': 'VARCHAR'});
