"""Benchmark: the intake's CPU per ticket in one process, without HTTP, and an A/B that holds up
on a machine whose speed drifts.

Each run builds the core on a fresh database, sends the bench's bilingual messages through the
intake (`App.intake.submit`, groups of `--group` at a time, as concurrent callers would) after a
warm-up, and reports per ticket: CPU of the whole process (intake writer, outbox relay, ETA
refresher, all running as in a server; the relay's last deliveries are inside the measured
window), CPU of the database's backends (PostgreSQL), and wall time. Smaller `--group`s show
what each unit of work costs beyond its messages (at c=32 the HTTP bench forms groups of about
8-15 per server process, ADR 0016).

`--against REV` runs the working tree and the committed `src/` of REV *side by side*, each in its
own process on its own database, `--rounds` times: both see the same machine at the same moment,
so a change of a few per cent shows even when consecutive runs differ by a quarter.

`--instructions` counts instructions instead (valgrind's callgrind, collecting only while the
measured tickets go through the intake and the relay delivers their events): the count repeats
to within about 1 % whatever else the machine does, where CPU seconds drift by a quarter. The ETA
refresher is not started then (it wakes on the clock, and under valgrind the clock runs fifty
times as long per ticket); `-n` defaults to 200 and the warm-up to 100 tickets, as each runs
about fifty times slower.

Run: .venv/bin/python bench/intake.py [--db postgresql|sqlite] [-n 2000] [--against REV]
     [--instructions]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    code_snapshot,
    postgres_backend_pids,
    postgres_database,
    process_cpu_seconds,
    tree_snapshot,
)
from api_tickets import as_command, make_tickets

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 600
WARM_UP_COUNTED = 100  # under callgrind each ticket takes about fifty times as long


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="cdbench-intake-") as tmp:
        yield f"sqlite:///{tmp}/intake.db"


def measure(url: str, tickets: int, group: int, seed: int, instructions: bool) -> dict[str, float]:
    """In this process: the core on `url` (migrated), warm-up, then the measured tickets (under
    callgrind with `instructions`: collection switched on for them alone)."""
    from consigndesk.bootstrap import build
    from consigndesk.config import Settings
    from consigndesk.domain.commands import ReceiveCustomerMessage

    def commands(tag: str, count: int) -> list[ReceiveCustomerMessage]:
        return [as_command(t) for t in make_tickets(tag, count, seed)]

    core = build(Settings(database_url=url, secret_key=secrets.token_urlsafe(32)))
    try:

        def send(batch: list[ReceiveCustomerMessage]) -> None:
            for start in range(0, len(batch), group):
                futures = [core.intake.submit(c) for c in batch[start : start + group]]
                for future in futures:
                    future.result()

        if not instructions:
            core.start_background()  # the outbox relay and the ETA refresher, as a server does
        send(commands("warm", WARM_UP_COUNTED if instructions else WARM_UP))
        core.relay.drain()
        todo = commands("measured", tickets)
        backends = postgres_backend_pids(url) if url.startswith("postgresql") else []
        db_before = sum(process_cpu_seconds(pid) for pid in backends)
        if instructions:
            callgrind("-z", "-i on")
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        send(todo)
        core.relay.drain()  # what is still to deliver is part of these tickets' cost
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        if instructions:
            callgrind("-i off", "-d measured")
        db = sum(process_cpu_seconds(pid) for pid in backends) - db_before
    finally:
        core.close()
    per_ticket = 1000 / tickets
    return {
        "cpu_ms": cpu * per_ticket,
        "db_ms": db * per_ticket if backends else float("nan"),
        "wall_ms": wall * per_ticket,
    }


def callgrind(*commands: str) -> None:
    """Tell the callgrind this process runs under what to do (`-z` zero, `-i on`, `-d name`)."""
    for command in commands:
        subprocess.run(
            ["callgrind_control", *command.split(), str(os.getpid())],
            check=True,
            capture_output=True,
        )


def start_child(
    src: Path, args: argparse.Namespace, url: str, counts: Path
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(src), "CONSIGNDESK_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "consigndesk", "migrate"], env=env, check=True, capture_output=True
    )
    child = [sys.executable, __file__, "--child", "-n", str(args.tickets)]
    child += ["--group", str(args.group), "--seed", str(args.seed)]
    if args.instructions:
        env["PYTHONHASHSEED"] = "0"  # the same dictionary layouts in both versions
        child = [
            "valgrind",
            "-q",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={counts}/callgrind.%p",
            *child,
            "--instructions",
        ]
    return subprocess.Popen(child, env=env, stdout=subprocess.PIPE, text=True)


def counted(counts: Path) -> int:
    """Instructions callgrind collected in the dump named `measured`."""
    for dump in counts.glob("callgrind.*"):
        text = dump.read_text(errors="replace")
        if "Trigger: Client Request: measured" in text or "dump measured" in text:
            return int(
                next(line for line in text.splitlines() if line.startswith("totals:")).split()[1]
            )
    raise SystemExit(f"no callgrind dump named 'measured' in {counts}")


def run_round(sources: dict[str, Path], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Every version at once, each on its own fresh database."""
    with ExitStack() as stack:
        folders = {
            name: Path(stack.enter_context(tempfile.TemporaryDirectory())) for name in sources
        }
        children = {
            name: start_child(
                src, args, stack.enter_context(fresh_database(args.db)), folders[name]
            )
            for name, src in sources.items()
        }
        results = {}
        for name, child in children.items():
            out, _ = child.communicate()
            if child.returncode != 0:
                raise SystemExit(f"{name}: the measuring process failed (exit {child.returncode})")
            results[name] = json.loads(out.strip().splitlines()[-1])
            if args.instructions:
                results[name]["instructions"] = counted(folders[name]) / args.tickets
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("-n", "--tickets", type=int, help="default 2000, 200 with --instructions")
    parser.add_argument("--group", type=int, default=32, help="messages submitted at once")
    parser.add_argument("--against", metavar="REV", help="side by side with the src/ of REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under callgrind (repeatable) instead of CPU seconds",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.tickets = args.tickets or (200 if args.instructions else 2000)
    if args.child:
        url = os.environ["CONSIGNDESK_DATABASE_URL"]
        result = measure(url, args.tickets, args.group, args.seed, args.instructions)
        print(json.dumps(result))
        return 0
    if args.instructions and not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    warm_up = WARM_UP_COUNTED if args.instructions else WARM_UP
    print(
        f"intake benchmark: {args.db}, {args.tickets} tickets after {warm_up} warm-up, "
        f"groups of {args.group}, load avg {os.getloadavg()[0]:.2f}"
        + (", instructions under callgrind (no ETA refresher)" if args.instructions else "")
    )
    with ExitStack() as stack:
        sources = {"working tree": stack.enter_context(tree_snapshot(ROOT / "src"))}
        if args.against:
            sources[args.against] = stack.enter_context(code_snapshot(ROOT, args.against))
        rounds = [run_round(sources, args) for _ in range(args.rounds)]
    if args.instructions:
        print(f"{'code':<14} {'round':>5} {'instructions':>13}  (per ticket)")
        for name in sources:
            for i, result in enumerate(rounds, 1):
                print(f"{name:<14} {i:>5} {result[name]['instructions']:>13,.0f}")
    else:
        print(f"{'code':<14} {'round':>5} {'cpu ms':>7} {'db ms':>6} {'wall ms':>7}  (per ticket)")
        for name in sources:
            for i, result in enumerate(rounds, 1):
                print(
                    f"{name:<14} {i:>5} {result[name]['cpu_ms']:>7.3f}"
                    f" {result[name]['db_ms']:>6.3f} {result[name]['wall_ms']:>7.3f}"
                )
    if args.against:
        for key in ("instructions",) if args.instructions else ("cpu_ms", "db_ms"):
            ratios = [r["working tree"][key] / r[args.against][key] for r in rounds]
            if not any(math.isnan(ratio) for ratio in ratios):  # no database CPU on SQLite
                median = statistics.median(ratios)
                print(f"{key}: working tree / {args.against}, median of the rounds {median:.2f}")
    command = [".venv/bin/python", "bench/intake.py", "--db", args.db, "-n", str(args.tickets)]
    command += ["--group", str(args.group), "--rounds", str(args.rounds), "--seed", str(args.seed)]
    if args.against:
        command += ["--against", args.against]
    if args.instructions:
        command.append("--instructions")
    print("rerun:", " ".join(command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
