-- ref_alliance_providers: The mental-health trusts of a provider alliance, benchmarked against each other (unit: provider).
-- reference/alliance_providers.csv is optional: without it there are no provider units and the
-- provider measures (sql/measures/, grouping: provider) have no rows. ics_id is the trust's home
-- integrated care system (a place's ICS id in ref_places); submits says whether it sends a ledger.
CREATE OR REPLACE TABLE ref_alliance_providers AS
SELECT trim(alliance_id) AS alliance_id, alliance_name, trim(provider_id) AS provider_id, provider_name,
       trim(ics_id) AS ics_id, submits
FROM read_csv($path, header = true, quote = '"', columns = {
    'alliance_id': 'VARCHAR', 'alliance_name': 'VARCHAR', 'provider_id': 'VARCHAR',
    'provider_name': 'VARCHAR', 'ics_id': 'VARCHAR', 'submits': 'BOOLEAN'});
