"""PostgreSQL chores for scripts/test-all.sh and bench/, through psycopg (no psql needed).

python scripts/pg.py ping   --host H --port P --user U        exit 0 when the server answers
python scripts/pg.py create --host H --port P --user U NAME   create database NAME
python scripts/pg.py drop   --host H --port P --user U NAME   drop NAME and pytest-django's
                                                              test_NAME, test_NAME_gw0, …
python scripts/pg.py up     [--host H --port P --user U]      print PG_HOST=… PG_PORT=… PG_USER=…
                                                              PG_CLUSTER=… for `eval`: the server
                                                              given when it answers, otherwise a
                                                              throwaway cluster (Debian's postgresql
                                                              installed when missing) in a temporary
                                                              folder on a free loopback port
python scripts/pg.py down   CLUSTER_DIR                       stop that cluster and delete its folder
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import psycopg
from psycopg import sql

NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")


def _connect(args: argparse.Namespace, timeout: int = 5) -> psycopg.Connection:
    return psycopg.connect(
        host=args.host, port=args.port, user=args.user, dbname="postgres", connect_timeout=timeout, autocommit=True
    )


def ping(args: argparse.Namespace) -> int:
    try:
        with _connect(args, timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        print(f"no PostgreSQL on {args.host}:{args.port} as {args.user}: {str(exc).strip()}", file=sys.stderr)
        return 1
    return 0


def create(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.name)))
    return 0


def drop(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = %s OR datname = %s OR datname LIKE %s",
                [args.name, f"test_{args.name}", f"test_{args.name}\\_gw%"],
            )
        ]
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    if names:
        print(f"dropped {', '.join(sorted(names))}")
    return 0


def _answers(host: str, port: int, user: str) -> bool:
    try:
        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _pg_bin(name: str) -> str | None:
    """The newest Debian PostgreSQL's program (initdb and pg_ctl are not on PATH there)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def apt_install(packages: list[str]) -> None:
    """Debian packages, non-interactively; as root, or through password-less sudo."""
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo") or subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode:
            raise SystemExit(f"Install these Debian packages first (needs root): {' '.join(packages)}")
        prefix = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing Debian packages: {' '.join(packages)}", file=sys.stderr, flush=True)
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        subprocess.run([*prefix, *cmd], check=True, env=env, stdout=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_start() -> dict[str, str]:
    """A throwaway PostgreSQL in a temporary folder, trust auth, listening on a free loopback port.

    initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user (which
    Debian's package creates) or, failing that, ``nobody``."""
    if not (_pg_bin("initdb") and _pg_bin("pg_ctl")):
        apt_install(["postgresql"])
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise SystemExit("initdb/pg_ctl not found even after installing Debian's postgresql")
    folder = tempfile.mkdtemp(prefix="headway-pg-")
    run_as: list[str] = []
    if os.geteuid() == 0:
        owner = "postgres" if _user_exists("postgres") else "nobody"
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", owner, "--"]
    port = free_port()
    data, log = os.path.join(folder, "data"), os.path.join(folder, "server.log")
    subprocess.run([*run_as, initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL, cwd=folder)  # fmt: skip
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run([*run_as, pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"],
                   check=True, stdout=subprocess.DEVNULL, cwd=folder)  # fmt: skip
    print(f"started a throwaway PostgreSQL in {folder} on port {port}", file=sys.stderr)
    return {"PG_HOST": "127.0.0.1", "PG_PORT": str(port), "PG_USER": "postgres", "PG_CLUSTER": folder}


def cluster_stop(folder: str) -> None:
    data = os.path.join(folder, "data")
    pg_ctl = _pg_bin("pg_ctl")
    if os.path.isdir(data) and pg_ctl:
        st = os.stat(folder)
        run_as = ["runuser", "-u", pwd.getpwuid(st.st_uid).pw_name, "--"] if os.geteuid() == 0 else []
        subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def server(host: str, port: int, user: str) -> dict[str, str]:
    """The server at host:port when it answers, otherwise a throwaway cluster."""
    if _answers(host, port, user):
        return {"PG_HOST": host, "PG_PORT": str(port), "PG_USER": user, "PG_CLUSTER": ""}
    print(f"no PostgreSQL answers on {host}:{port}; starting a throwaway cluster", file=sys.stderr)
    return cluster_start()


def up(args: argparse.Namespace) -> int:
    for name, value in server(args.host, args.port, args.user).items():
        print(f"{name}={value}")
    return 0


def down(args: argparse.Namespace) -> int:
    if args.name:
        cluster_stop(args.name)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["ping", "create", "drop", "up", "down"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    args = parser.parse_intermixed_args()
    if args.command in ("create", "drop") and not (args.name and NAME.fullmatch(args.name)):
        parser.error("give a database name of lowercase letters, digits and underscores (at most 41)")
    commands = {"ping": ping, "create": create, "drop": drop, "up": up, "down": down}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
