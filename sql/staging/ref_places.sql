-- ref_places: Places (local authority footprints) and the ICS each belongs to.
CREATE OR REPLACE TABLE ref_places AS
SELECT * FROM read_csv($path, header = true, quote = '"', columns = {
    'place_id': 'VARCHAR', 'place_name': 'VARCHAR', 'ics_id': 'VARCHAR', 'ics_name': 'VARCHAR'});
