"""A throwaway PostgreSQL server in a temporary directory, for the benchmarks (Dagster's
instance storage, bench/dagster_storage.py) and the tests (the warehouse on DuckLake with a
PostgreSQL catalog, tests/scale/test_lake_warehouse.py) on one machine.

    with throwaway_postgres() as pg:
        pg.port, pg.user, pg.database, pg.server_cpu_seconds()

The cluster is made with the distribution's `initdb` (Debian/Ubuntu: `apt-get install
postgresql`; the binaries are under /usr/lib/postgresql/<major>/bin), listens on
127.0.0.1 and a free port with trust authentication, and is stopped and deleted on exit.
PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
the package creates and the commands run through `runuser`.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def postgres_bin() -> Path:
    """The newest installed server's bin directory (initdb is not on PATH on Debian)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # a symlink in /usr/local/bin leads to the real bin directory
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise PostgresMissing("PostgreSQL is not installed: `make postgresql` installs it as root "
                              "(or apt-get install -y postgresql)")
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    directory: Path
    bin_dir: Path
    port: int
    user: str
    database: str
    postmaster_pid: int

    def createdb(self, name: str) -> None:
        subprocess.run(_as_owner([str(self.bin_dir / "createdb"), *self._connection(), name]), check=True,
                       capture_output=True)

    def scalar(self, database: str, query: str) -> str:
        """One value from a query (psql; the bench needs no PostgreSQL driver of its own)."""
        out = subprocess.run(_as_owner([str(self.bin_dir / "psql"), *self._connection(), "-d", database, "-tAc",
                                        query]), check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def _connection(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user]

    def server_cpu_seconds(self) -> float:
        """CPU seconds the server has used so far: the postmaster and its live processes,
        plus the backends that have exited (the postmaster reaps them, so their time is in
        its cutime/cstime). The client's own rusage never includes this: it is another
        process tree."""
        total = _cpu(self.postmaster_pid, children=True)
        for child in _children(self.postmaster_pid):
            total += _cpu(child, children=False)
        return total


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces


def _cpu(pid: int, children: bool) -> float:
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # fields[11..14] are utime, stime, cutime, cstime (proc(5) numbers them 14..17)
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def throwaway_postgres(user: str = "openbook", database: str = "dagster"):
    bin_dir = postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="openbook-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()
    run = lambda *argv: subprocess.run(_as_owner([str(bin_dir / argv[0]), *argv[1:]]), check=True,  # noqa: E731
                                       capture_output=True, text=True)
    try:
        run("initdb", "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync")
        # fsync stays on: the bench compares durable instance storage with SQLite's, as
        # production would run it
        run("pg_ctl", "-D", str(data), "-w", "-l", str(directory / "server.log"), "-o",
            f"-p {port} -k {directory} -c listen_addresses=127.0.0.1", "start")
        pid = int((data / "postmaster.pid").read_text().split()[0])
        server = Server(directory, bin_dir, port, user, database, pid)
        server.createdb(database)
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
