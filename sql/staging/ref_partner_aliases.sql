-- ref_partner_aliases: Every spelling of a partner's name as it appears in other partners' ledgers.
CREATE OR REPLACE TABLE ref_partner_aliases AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'alias': 'VARCHAR', 'partner_id': 'VARCHAR'});
