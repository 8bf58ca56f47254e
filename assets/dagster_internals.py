"""The two names openbook takes from Dagster's internals, in one place: Dagster 1.13 exports
neither, and offers no public way to do what each does. If an upgrade moves one, the import
here fails at once (and tests/pipeline/test_dagster_internals.py says which), rather than a
run losing its range or the UI its check history quietly.

- The run tags that make one run cover a range of partitions, as Dagster's own single-run
  backfills set them: neither `RunRequest` nor `execute_in_process` takes a range, but both
  (and the public `RunRequest.partition_key_range`) read these tags. `openbook run` and the
  inbox sensor ingest every changed period in a row in one run this way.
- The record of which materialisation a check evaluation is of: an `AssetCheckEvaluation`
  (the only check result that carries its own partition, which a run over a range needs)
  takes it, but its class is not exported (assets/checks.py period_checks).
"""
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData as TargetMaterializationData)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

__all__ = ["TargetMaterializationData", "partition_range_tags"]


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Tags for one run over the partitions from `first` to `last` (in the partitions' order)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
