"""The Dagster internals openbook uses (assets/dagster_internals.py) still do what it needs: if an
upgrade moves or changes one, this fails naming it, before a run loses its range of periods or
the UI its per-period check history."""
import dagster as dg

from assets.dagster_internals import TargetMaterializationData, partition_range_tags


def test_the_range_tags_are_the_ones_dagster_reads_as_a_partition_range():
    request = dg.RunRequest(tags=partition_range_tags("2025-05", "2025-07"))
    assert request.partition_key_range == dg.PartitionKeyRange("2025-05", "2025-07")


def test_a_check_evaluation_takes_the_materialisation_it_is_of():
    target = TargetMaterializationData(storage_id=7, run_id="run", timestamp=1.0)
    evaluation = dg.AssetCheckEvaluation(asset_key=dg.AssetKey("stg_ledger"), check_name="c", passed=True,
                                         partition="2025-05", target_materialization_data=target)
    assert evaluation.target_materialization_data.storage_id == 7 and evaluation.partition == "2025-05"
