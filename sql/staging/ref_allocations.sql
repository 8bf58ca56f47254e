-- ref_allocations: ICB programme allocations per financial year.
CREATE OR REPLACE TABLE ref_allocations AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'icb_id': 'VARCHAR', 'fy': 'VARCHAR', 'programme_allocation': 'DECIMAL(18,2)'});
