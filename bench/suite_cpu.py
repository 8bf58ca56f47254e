"""Where the test suite's CPU goes, file by file: a pytest plugin, and the table it makes.

    PYTHONPATH=bench SUITE_CPU_DIR=/tmp/cpu /usr/bin/time -p .venv/bin/python -m pytest -p suite_cpu \
        -n 2 --dist loadfile -q -p no:cacheprovider
    .venv/bin/python bench/suite_cpu.py /tmp/cpu 25

Each parallel worker writes <dir>/<worker>.json at its end: per test file, the CPU seconds of the
worker (user + sys) and of the processes its tests started and waited for (`openbook` on the command
line, Chromium, PostgreSQL, Dagster's log watchers), summed over the file's tests (their fixtures'
set-up and teardown included: a session fixture counts in the file that first asked for it), its
wall seconds, and counts of what costs most: whole-pipeline runs in the worker (`Runner.run_all`,
`openbook run` by its main() included), `openbook run` processes, other processes started, and demo
generations. The figures are the same as `/usr/bin/time`'s for the whole run but for the workers'
start and the controller (a few CPU seconds)."""
from __future__ import annotations

import collections
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

_files: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
_current = ["(between files)"]


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _counting(function, counter: str):
    def counted(*args, **kwargs):
        _files[_current[0]][counter] += 1
        return function(*args, **kwargs)
    return counted


_popen = subprocess.Popen.__init__


def _popen_counted(self, args, *rest, **kwargs):
    words = [str(a) for a in (args if isinstance(args, (list, tuple)) else [args])]
    row = _files[_current[0]]
    row["processes"] += 1
    if "pipelines.cli" in words or os.path.basename(words[0]) == "openbook":
        row["openbook_processes"] += 1
        row["openbook_run_processes"] += "run" in words
    row["chromium_starts"] += "chromium" in os.path.basename(words[0])
    return _popen(self, args, *rest, **kwargs)


def pytest_configure(config):
    if not os.environ.get("SUITE_CPU_DIR"):
        return
    from demo import generator
    from pipelines.runner import Runner

    subprocess.Popen.__init__ = _popen_counted
    Runner.run_all = _counting(Runner.run_all, "pipeline_runs")
    generator.generate_demo = _counting(generator.generate_demo, "demo_generations")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current[0] = item.nodeid.split("::")[0]
    own, children = _cpu()
    started = time.perf_counter()
    yield
    own_after, children_after = _cpu()
    row = _files[_current[0]]
    row["tests"] += 1
    row["cpu"] += own_after - own
    row["cpu_of_processes"] += children_after - children
    row["wall"] += time.perf_counter() - started
    _current[0] = "(between files)"


def pytest_sessionfinish(session):
    folder = os.environ.get("SUITE_CPU_DIR")
    if folder:
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(folder, f"{name}.json").write_text(json.dumps(_files, indent=1), encoding="utf-8")


def table(folder: Path, top: int) -> str:
    files: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for path in sorted(folder.glob("*.json")):
        for name, row in json.loads(path.read_text(encoding="utf-8")).items():
            files[name].update(row)
    ranked = sorted(files.items(), key=lambda kv: -(kv[1]["cpu"] + kv[1]["cpu_of_processes"]))
    total = sum(row["cpu"] + row["cpu_of_processes"] for _, row in ranked)
    lines = [f"{sum(row['tests'] for _, row in ranked)} tests, {total:.1f} CPU s in test files",
             "| file | tests | CPU s | of it, processes | wall s | pipeline runs | `openbook run` processes"
             " | processes | Chromium starts | demo generations |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in ranked[:top]:
        lines.append(f"| {name} | {row['tests']} | {row['cpu'] + row['cpu_of_processes']:.1f} | "
                     f"{row['cpu_of_processes']:.1f} | {row['wall']:.0f} | {row['pipeline_runs']} | "
                     f"{row['openbook_run_processes']} | {row['processes']} | {row['chromium_starts']} | "
                     f"{row['demo_generations']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
