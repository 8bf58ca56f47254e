-- dim_counterparty: the counterparty register: every counterparty as written in a ledger, normalised and
-- classified by who the organisation is (workbench/counterparties.py fills it; see docs/model.md). Join it to
-- fct_ledger or fct_mh_ledger on counterparty.
-- Grain: one row per counterparty spelling as written in the ledgers.
-- Keys: counterparty
-- Built by: workbench/counterparties.py (build_dim_counterparty), the same functions `openbook counterparties review` uses
-- Columns:
--   counterparty: the supplier, payer or funder exactly as written in the ledger
--   normalised_name: the key spellings of one organisation share (case, accents, punctuation, Ltd/Limited,
--     '&'/'and', St/Saint and a leading 'The' folded)
--   canonical_name: the organisation's name in the register (the partner's name for a partner; as written
--     when nothing says otherwise)
--   counterparty_class: nhs_body, local_authority, vcse, independent_healthcare, other_private,
--     individual_redacted or unknown
--   class_name: the class for readers
--   register_id: ODS code (ODS:...), charity number (GB-CHC-...) or company number (GB-COH-...) where known
--   basis: how the class was found: partner (a partner of the system), decision (a reviewer's decision),
--     register (reference/counterparties.csv), name_rule (proposed by a rule on the name, unconfirmed) or none
--   rule: the name rule that proposed the class (basis name_rule)
--   proposed_class: what the name rules would propose, whatever the basis (a check on the register)
--   gross_paid: expenditure lines paid to it, all service lines, all periods, pounds
--   income_received: income lines from it (money in, positive), pounds
--   lines: ledger lines naming it
--   ledgers: partners whose ledgers name it
CREATE OR REPLACE TABLE dim_counterparty (
    counterparty VARCHAR PRIMARY KEY, normalised_name VARCHAR, canonical_name VARCHAR, counterparty_class VARCHAR,
    class_name VARCHAR, register_id VARCHAR, basis VARCHAR, rule VARCHAR, proposed_class VARCHAR,
    gross_paid DECIMAL(18, 2), income_received DECIMAL(18, 2), lines BIGINT, ledgers BIGINT
);
