"""Triage speed in one process: model load, segmenter start-up, msg/s, p50/p99 per language, memory.

Run: .venv/bin/python bench/triage.py [--messages N]
Targets (issue): ≥2,000 msg/s, p99 < 5 ms, load < 1 s, < 300 MB resident.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from consigndesk.domain.triage import TriageInput
from consigndesk.triage import TriageEngine, default_model_path, load_model, unseen_examples
from consigndesk.triage.segment import words

COMMAND = ".venv/bin/python bench/triage.py"


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _bench_language(engine: TriageEngine, inputs: list[TriageInput], n: int) -> dict[str, float]:
    latencies = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        engine.triage(inputs[i % len(inputs)])
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "msg_per_s": n / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "max_ms": 1000 * latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000, help="messages per language")
    args = parser.parse_args()

    t0 = time.perf_counter()
    model = load_model(default_model_path())
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    words("预热")  # the segmenter's dictionary load, paid once per process
    segmenter_s = time.perf_counter() - t0
    engine = TriageEngine(model)

    examples = unseen_examples()
    by_language = {
        lang: [TriageInput(e.text, role=e.role) for e in examples if e.language == lang]
        for lang in ("zh", "en")
    }
    for inputs in by_language.values():  # warm caches
        for item in inputs:
            engine.triage(item)

    print(
        f"python {sys.version.split()[0]}, model {model.version}, {len(model.vocabulary)} features"
    )
    print(f"model load: {load_s * 1000:.0f} ms; segmenter first use: {segmenter_s * 1000:.0f} ms")
    for lang, inputs in by_language.items():
        r = _bench_language(engine, inputs, args.messages)
        print(
            f"{lang}: {r['msg_per_s']:,.0f} msg/s, p50 {r['p50_ms']:.2f} ms, "
            f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms "
            f"({args.messages} messages, {len(inputs)} distinct)"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {rss_mb:.0f} MB")
    print(f"rerun: {COMMAND} --messages {args.messages}")


if __name__ == "__main__":
    main()
