-- dim_partner: the partners of the system. Grain: one row per partner_id.
CREATE OR REPLACE TABLE dim_partner AS
SELECT partner_id, name AS partner_name, kind AS partner_kind, ics_id, submits
FROM ref_partners;
