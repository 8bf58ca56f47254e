-- ref_agency_suppliers: The staffing agencies whose invoices count as agency spend, by supplier name as a ledger writes it.
-- reference/agency_suppliers.csv is optional (no file: no agency suppliers, an empty file is read).
-- name_key is the name lower-cased with its spaces trimmed and runs of spaces made one, the same
-- normalisation rpt_agency_spend applies to a ledger line's counterparty, so "NHS  Professionals Ltd "
-- meets "NHS Professionals Ltd". note: why the supplier is listed (e.g. its framework).
CREATE OR REPLACE TABLE ref_agency_suppliers AS
SELECT trim(name) AS name, lower(trim(regexp_replace(name, '\s+', ' ', 'g'))) AS name_key, note
FROM read_csv($path, header = true, quote = '"', columns = {'name': 'VARCHAR', 'note': 'VARCHAR'})
WHERE trim(coalesce(name, '')) <> '';
