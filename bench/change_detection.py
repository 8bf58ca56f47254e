"""What finding the changes costs on the incremental path: the analysts' copy published again
(analyst/publish.py) and fct_mh_ledger kept by load (warehouse/by_load.py), each timed on its
own (CPU seconds of this process, every DuckDB thread included, and wall seconds).

    .venv/bin/python bench/change_detection.py --home H --late FILE [--json out.json]

H is a data home after a full `openbook run` (it is changed: run it on a copy); FILE a
submission held back from that run. Three cases, in this order:

  nothing changed   publish, then fct_mh_ledger brought up to date, with nothing new
  one late load     FILE copied into its partner's inbox folder and `openbook run` (in this
                    process): its publish and its fct_mh_ledger build, timed inside the run
  whole             publish of the whole warehouse, and fct_mh_ledger rebuilt whole

Prints one line per case and measurement, then the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextmanager
def timed(figures: list, case: str, what: str, detail=lambda: ""):
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    row = {"case": case, "what": what, "cpu_s": round(time.process_time() - cpu, 3),
           "wall_s": round(time.perf_counter() - wall, 3)}
    row["detail"] = detail()
    figures.append(row)
    print(f"{case:<16} {what:<22} {row['cpu_s']:7.3f} s CPU {row['wall_s']:7.3f} s wall  {row['detail']}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--late", type=Path, required=True, help="a held-back file: <partner>/<name>")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import analyst.publish as publish_module
    from pipelines.runner import Runner
    from warehouse import by_load
    from warehouse.connection import open_writer
    from warehouse.settings import Paths

    paths = Paths(args.home.resolve())
    figures: list[dict] = []
    last: dict = {}

    def build_mh_ledger(case: str) -> None:
        with open_writer(paths.warehouse) as con:
            with timed(figures, case, "fct_mh_ledger build", lambda: last.get("built", "")):
                last["built"] = by_load.build(con).how

    def published() -> str:
        return "whole copy" if last["info"].replaced is None else f"replaced {last['info'].replaced}"

    with timed(figures, "nothing changed", "publish", published):
        last["info"] = publish_module.publish(paths, run_id="bench")
    build_mh_ledger("nothing changed")

    # one late load: the same functions, timed where the run calls them
    real_publish, real_build = publish_module.publish, by_load.build

    def publish_timed(*a, **k):
        with timed(figures, "one late load", "publish", published):
            last["info"] = real_publish(*a, **k)
        return last["info"]

    def build_timed(con):
        with timed(figures, "one late load", "fct_mh_ledger build", lambda: last.get("built", "")):
            built = real_build(con)
            last["built"] = built.how
        return built

    import assets.publish_assets as publish_assets
    publish_assets.publish = publish_timed
    by_load.build = build_timed
    late = args.late.resolve()
    shutil.copyfile(late, paths.inbox / late.parent.name / late.name)
    summary = Runner(paths).run_all(progress=lambda message: print(f"  {message}", file=sys.stderr, flush=True))
    publish_assets.publish, by_load.build = real_publish, real_build
    if not summary.ok:
        raise SystemExit("the run after the late file failed")

    with timed(figures, "whole", "publish", published):
        last["info"] = publish_module.publish(paths, run_id="bench", whole=True)
    with open_writer(paths.warehouse) as con:
        con.execute("DELETE FROM model_state WHERE model = $m", {"m": by_load.MODEL})
    build_mh_ledger("whole")

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
