-- ref_partners: Partners of the system: who keeps a ledger, of which kind, in which ICS.
CREATE OR REPLACE TABLE ref_partners AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'partner_id': 'VARCHAR', 'name': 'VARCHAR', 'kind': 'VARCHAR',
    'ics_id': 'VARCHAR', 'submits': 'BOOLEAN'});
