-- rpt_sector_share: shares of net mental-health spend by the sector that delivers the service -
-- statutory NHS, local authority, voluntary (VCSE) and independent - per system and per place, by
-- month and financial year to date. The sector is that of the partner paid when a line pays a
-- partner (payments to a partner that sends no ledger, such as the independent hospital oakridge,
-- count to its sector), else that of the partner whose ledger holds the line (see
-- fct_mh_ledger.sector_basis: payments to suppliers outside the partnership count to the paying
-- partner's sector, because the reference data does not say which sector each supplier is in).
-- Net spend only, so money passed between submitting partners counts once, where it is spent.
-- Every sector has a row for every month of each geography, zero when nothing was spent.
-- Grain: one row per geography (a system, or a place), month and sector.
-- Keys: geography_level, ics_id, place_id, period, sector
-- Columns:
--   geography_level: ics (all of the system's spend, system-wide services included) or place
--     (spend coded to the place only)
--   ics_id: integrated care system
--   ics_name: the integrated care system's name
--   place_id: the place (null on ics rows)
--   place_name: the place's name (the system's name on ics rows)
--   period: month (YYYY-MM)
--   fy: financial year, e.g. 2025-26
--   fy_month: month number in the financial year (April = 1)
--   sector: nhs, local_authority, vcse or independent
--   sector_name: Statutory NHS, Local authority, Voluntary sector (VCSE) or Independent sector
--   net_spend: net mental-health spend delivered by the sector in the month, pounds
--   share_pct: net_spend as a percentage of the geography's net spend in the month
--   ytd_net_spend: net spend delivered by the sector from April to this month, pounds
--   ytd_share_pct: ytd_net_spend as a percentage of the geography's net spend from April to this month
--   own_ledger_external_spend: the part of net_spend paid by a commissioner (ICB or council) to a
--     supplier outside the partnership, counted to the commissioner's own sector, pounds
CREATE OR REPLACE TABLE rpt_sector_share AS
-- each line's geography, sector and spend: the one rule, in fct_sector_share_ledger (the drill-down lists it)
WITH by_geography AS (
    SELECT geography_level, ics_id, ics_name, place_id, place_name,
           period, sector, sum(net_spend) AS net_spend, sum(own_ledger_external_spend) AS own_ledger_external_spend
    FROM fct_sector_share_ledger
    GROUP BY ALL
),
sectors AS (
    SELECT DISTINCT sector, sector_name FROM fct_mh_ledger WHERE sector IS NOT NULL
),
months AS (
    -- The months' years worked out per month, not per line (the view's fy columns are computed for each line read).
    SELECT period, fy_of(period) AS fy, fy_month_of(period) AS fy_month FROM (SELECT DISTINCT period FROM fct_ledger)
),
geographies AS (
    SELECT DISTINCT geography_level, ics_id, ics_name, place_id, place_name FROM by_geography
),
every_sector_and_month AS (
    SELECT g.*, m.period, m.fy, m.fy_month, s.sector, s.sector_name,
           coalesce(b.net_spend, 0) AS net_spend, coalesce(b.own_ledger_external_spend, 0) AS own_ledger_external_spend
    FROM geographies g
    CROSS JOIN months m
    CROSS JOIN sectors s
    LEFT JOIN by_geography b
           ON b.geography_level = g.geography_level AND b.ics_id = g.ics_id
          AND b.place_id IS NOT DISTINCT FROM g.place_id AND b.period = m.period AND b.sector = s.sector
),
year_to_date AS (
    SELECT *,
           sum(net_spend) OVER (PARTITION BY geography_level, ics_id, place_id, sector, fy ORDER BY period
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ytd_net_spend
    FROM every_sector_and_month
)
SELECT geography_level, ics_id, ics_name, place_id, place_name, period, fy, fy_month, sector, sector_name,
       CAST(net_spend AS DECIMAL(18, 2)) AS net_spend,
       CAST(round(100 * net_spend / nullif(sum(net_spend) OVER month_total, 0), 2) AS DECIMAL(38, 2)) AS share_pct,
       CAST(ytd_net_spend AS DECIMAL(18, 2)) AS ytd_net_spend,
       CAST(round(100 * ytd_net_spend / nullif(sum(ytd_net_spend) OVER month_total, 0), 2) AS DECIMAL(38, 2))
           AS ytd_share_pct,
       CAST(own_ledger_external_spend AS DECIMAL(18, 2)) AS own_ledger_external_spend
FROM year_to_date
WINDOW month_total AS (PARTITION BY geography_level, ics_id, place_id, period);
