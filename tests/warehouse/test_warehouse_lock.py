"""The writer lock: re-entrant for its holder (a run holds it while its steps take it
again), exclusive against every other process."""
import subprocess
import sys
import time

from warehouse.connection import exclusive_lock

OTHER_PROCESS = """
import sys, time
from pathlib import Path
from warehouse.connection import exclusive_lock
print("ready", flush=True)
with exclusive_lock(Path(sys.argv[1])):
    print(time.time(), flush=True)
"""


def test_the_holder_takes_it_again_and_another_process_waits(tmp_path):
    lock = tmp_path / "openbook.lock"
    with exclusive_lock(lock):
        with exclusive_lock(lock):  # would deadlock if the lock were not re-entrant
            other = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(lock)],
                                     stdout=subprocess.PIPE, text=True)
            assert other.stdout.readline().strip() == "ready"
            time.sleep(1.0)
        time.sleep(1.0)  # the inner release must not have freed it
        released = time.time()
    acquired = float(other.stdout.readline())
    other.wait(timeout=30)
    assert acquired >= released
