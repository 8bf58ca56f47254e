-- dim_partner: the partners of the system.
-- Grain: one row per partner.
-- Keys: partner_id
-- Columns:
--   partner_id: short id used everywhere in the warehouse
--   partner_name: the partner's name
--   partner_kind: icb, nhs_trust, lead_provider, local_authority, vcse or independent
--   ics_id: the partner's home integrated care system (null for partners serving both)
--   submits: true when the partner sends a monthly ledger to openbook
CREATE OR REPLACE TABLE dim_partner AS
SELECT partner_id, name AS partner_name, kind AS partner_kind, ics_id, submits
FROM ref_partners;
