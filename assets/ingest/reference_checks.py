"""Blocking asset checks of the reference rules that span tables or folders, run on the
reference tables in use (the same rules refuse a new reference file before it is swapped
in: assets/ingest/reference_integrity.py)."""
import dagster as dg

from assets.ingest.reference_integrity import Violation, unknown_partners, unknown_places
from warehouse.connection import Warehouse


def _result(table: str, name: str, violations: list[Violation]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=table, check_name=name, passed=not violations, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"violations": dg.MetadataValue.md("\n".join(f"- {v}" for v in violations) or "none")})


@dg.asset_check(asset="ref_partners", name="partners_known", blocking=True,
                description="Every partner with an inbox folder or a ledger line has a row in partners")
def partners_known(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.writer() as con:
        return _result("ref_partners", "partners_known", unknown_partners(con, warehouse.paths.inbox))


@dg.asset_check(asset="ref_populations", name="places_known", blocking=True,
                description="Every place with a population is one of the places")
def places_known(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.writer() as con:
        return _result("ref_populations", "places_known", unknown_places(con))


reference_checks = [partners_known, places_known]
