"""A throwaway PostgreSQL server for the tests: private folder, private socket, no TCP.

`.ci/run` starts one with `python3 tests/pg_cluster.py start DIR` (stdlib only, so it runs
before the venv exists) and exports the URL it prints; `tests/conftest.py` starts its own the
same way when no URL is given. PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` system user, which owns the folder.

For the tests it trades durability for speed (fsync off and the like); `--durable` keeps
PostgreSQL's default durability settings, for benchmark figures that mean something
(`benchmarks/scale.py --postgres` uses it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Debian's layout first; `pg_config --bindir` or PATH otherwise.
_BIN_DIRS = tuple(
    sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
)
DATABASE = "closer_test"
PORT = 5439


def bin_dir() -> Path | None:
    for folder in _BIN_DIRS:
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def url_for(folder: Path) -> str:
    return f"postgresql://postgres@/{DATABASE}?host={folder / 'sock'}&port={PORT}"


def start(folder: Path, *, durable: bool = False) -> str:
    """Create and start a cluster in `folder` (which must not hold one yet); returns its URL.

    `durable` keeps fsync, synchronous commit and full-page writes on (PostgreSQL's defaults).
    """
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt install postgresql-15)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sock").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (folder, folder / "sock"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    run = subprocess.run
    run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-k {folder / 'sock'} -p {PORT} -c listen_addresses='' -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run(
        _as_owner(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    run(
        _as_owner(
            [
                str(binaries / "createdb"),
                "-h",
                str(folder / "sock"),
                "-p",
                str(PORT),
                "-U",
                "postgres",
                DATABASE,
            ]
        ),
        check=True,
        capture_output=True,
    )
    return url_for(folder)


def stop(folder: Path) -> None:
    binaries = bin_dir()
    if binaries is None or not (folder / "data").exists():
        return
    subprocess.run(
        _as_owner(
            [str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]
        ),
        check=False,
        capture_output=True,
    )
    for _ in range(50):
        if not (folder / "data" / "postmaster.pid").exists():
            break
        time.sleep(0.1)
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    durable = "--durable" in argv
    argv = [a for a in argv if a != "--durable"]
    if len(argv) != 3 or argv[1] not in {"start", "stop"}:
        print("usage: pg_cluster.py start [--durable] DIR | stop DIR", file=sys.stderr)
        return 2
    folder = Path(argv[2]).resolve()
    if argv[1] == "start":
        print(start(folder, durable=durable))
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
