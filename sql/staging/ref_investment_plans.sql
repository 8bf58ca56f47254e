-- ref_investment_plans: ICB investment plans: planned amount per scheme and month.
CREATE OR REPLACE TABLE ref_investment_plans AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'icb_id': 'VARCHAR', 'scheme_id': 'VARCHAR', 'scheme_name': 'VARCHAR',
    'service_line': 'VARCHAR', 'period': 'VARCHAR', 'planned_amount': 'DECIMAL(18,2)',
    'recurrence': 'VARCHAR'});
