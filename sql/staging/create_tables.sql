-- The tables the ingest layer writes. Created once; every statement is idempotent.
-- Each source row is kept as the partner sent it: raw_cells, a JSON array of its cells' text
-- (null when empty) in the order of its load's raw_columns (the file's column names, once per
-- load, rather than again in every row). raw_record(load_id, raw_cells) rebuilds the row as a
-- JSON object, column -> text. raw_cells is declared FSST: DuckDB's automatic choice tries
-- every compression on every segment of these long unique strings and picks FSST anyway,
-- at several times the CPU (docs/scaling.md).
CREATE TABLE IF NOT EXISTS load_log (
    load_id          VARCHAR PRIMARY KEY,
    partner_id       VARCHAR,            -- null when the file matched no source config
    period           VARCHAR,            -- null when the period could not be read
    source_file      VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    file_bytes       BIGINT,
    file_modified_at TIMESTAMP,
    rows_read        BIGINT,
    rows_loaded      BIGINT,
    rows_quarantined BIGINT,
    rows_skipped     BIGINT,
    status           VARCHAR NOT NULL,   -- current | held | superseded | rejected | failed | unmatched
    message          VARCHAR,
    loaded_at        TIMESTAMP NOT NULL,
    run_id           VARCHAR
);
-- The source config each load was parsed with (sha256 of the validated config), so a changed
-- config (a mapped column, the sign rule, a skip rule) re-parses that partner's files even
-- though the bytes are the same; and what the config says the file covers (the smallest
-- payment it lists), shown beside the submission in the reports. Beside load_log, whose
-- columns other code inserts by position.
CREATE TABLE IF NOT EXISTS load_configs (
    load_id             VARCHAR PRIMARY KEY,
    config_sha256       VARCHAR NOT NULL,
    coverage_threshold  BIGINT             -- null: not stated; 0: every payment
);
-- The names of each load's raw_cells, a JSON array: the file's columns, then "(sheet)" (the
-- sheet's name) when its source reads several sheets.
CREATE TABLE IF NOT EXISTS raw_columns (
    load_id VARCHAR PRIMARY KEY,
    columns VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw_ledger (
    load_id        VARCHAR NOT NULL,
    partner_id     VARCHAR NOT NULL,
    period         VARCHAR NOT NULL,
    source_file    VARCHAR NOT NULL,
    source_row     BIGINT NOT NULL,
    posting_date   DATE,
    cost_centre    VARCHAR,
    expense_type   VARCHAR,
    counterparty   VARCHAR,
    description    VARCHAR,
    transaction_id VARCHAR,
    amount         DECIMAL(18,2),
    funding_stream VARCHAR,
    raw_cells      VARCHAR USING COMPRESSION fsst,
    extra          VARCHAR              -- JSON of the source's columns.extra -> text; NULL when none
);
CREATE TABLE IF NOT EXISTS quarantine (
    load_id     VARCHAR NOT NULL,
    partner_id  VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row  BIGINT,
    stage       VARCHAR NOT NULL,   -- parse | staging
    field       VARCHAR,
    reason_code VARCHAR NOT NULL,
    message     VARCHAR NOT NULL,
    raw_cells   VARCHAR USING COMPRESSION fsst
);
CREATE TABLE IF NOT EXISTS skipped_rows (
    load_id     VARCHAR NOT NULL,
    partner_id  VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row  BIGINT,
    reason      VARCHAR NOT NULL,
    raw_cells   VARCHAR USING COMPRESSION fsst
);
CREATE TABLE IF NOT EXISTS stg_ledger (
    load_id                 VARCHAR NOT NULL,
    partner_id              VARCHAR NOT NULL,
    period                  VARCHAR NOT NULL,
    source_file             VARCHAR NOT NULL,
    source_row              BIGINT NOT NULL,
    posting_date            DATE,
    cost_centre             VARCHAR,
    expense_type            VARCHAR,
    counterparty            VARCHAR,
    counterparty_partner_id VARCHAR,
    description             VARCHAR,
    transaction_id          VARCHAR,
    amount                  DECIMAL(18,2) NOT NULL,
    funding_stream          VARCHAR,
    service_line            VARCHAR,
    place_id                VARCHAR,
    line_type               VARCHAR,
    scheme_id               VARCHAR,
    mapped_by               VARCHAR,   -- cost_centre_map | rule | default | unmapped
    mapping_rule            VARCHAR,   -- the map row or rule that mapped the line (null when unmapped)
    extra                   VARCHAR    -- as raw_ledger.extra
);
-- Warehouses made before lines were mapped by rules gain the two columns.
ALTER TABLE stg_ledger ADD COLUMN IF NOT EXISTS mapped_by VARCHAR;
ALTER TABLE stg_ledger ADD COLUMN IF NOT EXISTS mapping_rule VARCHAR;
-- Each partner's staging checks (its source config's `checks:`), written from the configs
-- before stg_ledger is staged; a partner not listed has the defaults (every line kept).
CREATE TABLE IF NOT EXISTS source_checks (
    partner_id             VARCHAR PRIMARY KEY,
    transaction_ids_unique BOOLEAN NOT NULL,
    dates_outside_period   VARCHAR NOT NULL,   -- warn | error
    date_tolerance_days    INTEGER NOT NULL
);
-- Warehouses made before raw_ledger/stg_ledger had `extra` get it here.
ALTER TABLE raw_ledger ADD COLUMN IF NOT EXISTS extra VARCHAR;
ALTER TABLE stg_ledger ADD COLUMN IF NOT EXISTS extra VARCHAR;
CREATE TABLE IF NOT EXISTS dq_results (
    partner_id      VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,
    load_id         VARCHAR NOT NULL,
    suite           VARCHAR NOT NULL,
    expectation     VARCHAR NOT NULL,
    column_name     VARCHAR,
    description     VARCHAR,
    severity        VARCHAR NOT NULL,
    passed          BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    element_count   BIGINT,
    sample          VARCHAR,
    checked_at      TIMESTAMP NOT NULL
);
-- What the last successful runs read (pipelines/changes.py): file-metadata fingerprints of
-- each period's inbox files, the reference data and the rules, so `openbook run` redoes
-- only what changed.
CREATE TABLE IF NOT EXISTS run_inputs (
    name        VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
-- A raw row as a JSON object, column -> text (null when empty), from its load's raw_columns.
CREATE OR REPLACE MACRO raw_record(of_load, cells) AS (
    SELECT to_json(map(from_json(columns, '["VARCHAR"]'), from_json(cells, '["VARCHAR"]')))
    FROM raw_columns WHERE load_id = of_load
);
-- Financial year of a period: 2024-04 .. 2025-03 is '2024-25'.
CREATE OR REPLACE MACRO fy_of(period) AS
    CASE WHEN CAST(substr(period, 6, 2) AS INTEGER) >= 4
         THEN substr(period, 1, 4) || '-' || lpad(CAST((CAST(substr(period, 1, 4) AS INTEGER) + 1) % 100 AS VARCHAR), 2, '0')
         ELSE CAST(CAST(substr(period, 1, 4) AS INTEGER) - 1 AS VARCHAR) || '-' || substr(period, 3, 2)
    END;
-- A financial year's first and last months: '2024-25' runs from '2024-04' to '2025-03'. Lines are matched
-- to a year by `period BETWEEN` these: the lines' fy_of, built as text for each line read, costs more than
-- the rest of such a match (periods are YYYY-MM partition keys, so the two agree).
CREATE OR REPLACE MACRO fy_first_period(fy) AS substr(fy, 1, 4) || '-04';
CREATE OR REPLACE MACRO fy_last_period(fy) AS CAST(CAST(substr(fy, 1, 4) AS INTEGER) + 1 AS VARCHAR) || '-03';
-- Month number within the financial year: April is 1, March is 12.
CREATE OR REPLACE MACRO fy_month_of(period) AS
    ((CAST(substr(period, 6, 2) AS INTEGER) + 8) % 12) + 1;
-- A partner-month's previous good submission, held in reserve while a resubmission is
-- checked, and put back if the resubmission is blocked (assets/ingest/last_good.py).
-- Same columns as their tables: a column added to one above must be added here too.
CREATE TABLE IF NOT EXISTS held_raw_ledger AS SELECT * FROM raw_ledger LIMIT 0;
CREATE TABLE IF NOT EXISTS held_quarantine AS SELECT * FROM quarantine LIMIT 0;
CREATE TABLE IF NOT EXISTS held_skipped_rows AS SELECT * FROM skipped_rows LIMIT 0;
CREATE TABLE IF NOT EXISTS held_stg_ledger AS SELECT * FROM stg_ledger LIMIT 0;
