"""Benchmark A/B: `api_tickets.py` creation runs of the working tree and a revision in pairs,
each pair in the opposite order to the one before, summed up pair by pair.

On the shared two-core machine consecutive runs of the same code differ by a quarter or more,
and the second run of a back-to-back pair is not on an even footing with the first: the
previous run's database is still being dropped, the page cache holds the other version's files.
So the order alternates (A B, B A, A B, ...), and what is reported is, for each concurrency
level, how many pairs the working tree won on throughput and on p99, and the median of the
per-pair ratios, beside each version's medians. Both versions are copied once at the start:
editing the tree during the runs changes nothing.

Run: .venv/bin/python bench/ab_api.py --against e85258d [--pairs 6] [-- <api_tickets.py options>]
(default api_tickets.py options: --db postgresql --concurrency 32 -n 9000 --list-requests 1
--list-size 100 --workers 2)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import code_snapshot, tree_snapshot

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUN = [
    "--db",
    "postgresql",
    "--concurrency",
    "32",
    "-n",
    "9000",
    "--list-requests",
    "1",
    "--list-size",
    "100",
    "--workers",
    "2",
]
TREE = "working tree"


def one_run(src: Path, run_args: list[str], out: Path) -> list[dict[str, Any]]:
    """The creation rows of one `api_tickets.py` run serving the package in `src`."""
    command = [sys.executable, str(ROOT / "bench" / "api_tickets.py"), *run_args]
    command += ["--code", str(src), "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"api_tickets.py failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    rows = json.loads(out.read_text())["rows"]
    return [r for r in rows if r["phase"] == "create"]


def _medians(both: list[tuple[dict[str, Any], dict[str, Any]]], key: str) -> tuple[float, ...]:
    """The tree's median of `key`, the other version's, and the median of the per-pair ratios."""
    return (
        statistics.median(a[key] for a, _ in both),
        statistics.median(b[key] for _, b in both),
        statistics.median(a[key] / b[key] for a, b in both),
    )


def summary(pairs: list[dict[str, dict[int, dict[str, Any]]]], against: str) -> list[str]:
    """Per concurrency level: each version's medians, pairs won by the tree, median ratio."""
    lines = []
    for level in sorted(pairs[0][TREE]):
        both = [(p[TREE][level], p[against][level]) for p in pairs]
        rate, other_rate, rate_ratio = _medians(both, "rate")
        p99, other_p99, p99_ratio = _medians(both, "p99_ms")
        won_rate = sum(a["rate"] > b["rate"] for a, b in both)
        won_p99 = sum(a["p99_ms"] < b["p99_ms"] for a, b in both)
        lines.append(
            f"c={level}: tickets/s median {rate:.0f} (tree) vs {other_rate:.0f} ({against}); "
            f"p99 median {p99:.1f} vs {other_p99:.1f} ms"
        )
        lines.append(
            f"      tree won {won_rate}/{len(pairs)} pairs on tickets/s (median ratio "
            f"{rate_ratio:.3f}) and {won_p99}/{len(pairs)} on p99 (median ratio {p99_ratio:.3f})"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, metavar="REV", help="git revision to compare")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("run_args", nargs="*", help="api_tickets.py options (after --)")
    args = parser.parse_args()
    run_args = args.run_args or DEFAULT_RUN
    pairs: list[dict[str, dict[int, dict[str, Any]]]] = []
    with ExitStack() as stack:
        sources = {
            TREE: stack.enter_context(tree_snapshot(ROOT / "src")),
            args.against: stack.enter_context(code_snapshot(ROOT, args.against)),
        }
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cdbench-ab-")))
        print(f"A/B of the working tree against {args.against}: {args.pairs} pairs of")
        print(f"  api_tickets.py {' '.join(run_args)}")
        for i in range(args.pairs):
            order = [TREE, args.against] if i % 2 == 0 else [args.against, TREE]
            pair: dict[str, dict[int, dict[str, Any]]] = {}
            for name in order:
                rows = one_run(sources[name], run_args, folder / f"{i}-{len(pair)}.json")
                pair[name] = {r["concurrency"]: r for r in rows}
                shown = ", ".join(
                    f"c={r['concurrency']} {r['rate']:.0f}/s p99 {r['p99_ms']:.1f} ms" for r in rows
                )
                print(f"pair {i + 1} {name:>14}: {shown}", flush=True)
            pairs.append(pair)
    print()
    for line in summary(pairs, args.against):
        print(line)
    rerun = [".venv/bin/python", "bench/ab_api.py", "--against", args.against]
    rerun += ["--pairs", str(args.pairs)]
    if args.run_args:
        rerun += ["--", *args.run_args]
    print("rerun:", " ".join(rerun))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
