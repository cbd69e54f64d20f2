"""What ``benchmarks/telegram.py`` prints of one phase: rate, latency, CPU, and what went wrong."""

from __future__ import annotations

import statistics
from typing import Any

TELEGRAM_OVERALL_RATE = 30.0  # the real limit, for the "would have taken" line


def describe(name: str, result: dict[str, Any], residents: int, in_process: bool) -> float:
    latencies = result["latencies"]
    q = statistics.quantiles(latencies, n=100, method="inclusive")  # never beyond the largest
    rate = result["actions"] / result["wall"]
    print(f"{name}: {result['actions']:,} updates answered in {result['wall']:.1f} s = {rate:,.1f} updates/s")
    print(
        f"  reply latency p50 {q[49] * 1e3:.1f} ms, p99 {q[98] * 1e3:.1f} ms, max {max(latencies) * 1e3:.1f} ms"
    )
    cpu = result["bot_cpu"]
    print(
        f"  {'process (bot, emulator, residents)' if in_process else 'bot process'} CPU {cpu:.1f} s = "
        f"{cpu / result['actions'] * 1e3:.2f} ms/update ({cpu / result['wall']:.0%} of one core)"
        + ("" if in_process else f"; emulator and residents {result['emulator_cpu'] / result['wall']:.0%} of one core")
    )
    print(
        f"  {result['completed']}/{residents} residents complete, {result['extra_messages']} messages after the "
        "last answer (Yimen: the worker's notices about the applications), "
        f"{result['duplicates']} messages sent twice, {result['flood_violations']} flood violations; "
        f"replies per action {result['expected']}"
    )
    for line in result["stuck"][:5]:
        print(f"  STUCK: {line}")
    if len(result["stuck"]) > 5:
        print(f"  ... {len(result['stuck'])} residents gave up in all")
    for what, count in sorted(result["bot_errors"].items(), key=lambda item: -item[1]):
        print(f"  BOT LOGGED {count} x {what}")
        if what in result.get("bot_error_lines", {}):
            print(f"    first: {result['bot_error_lines'][what]}")
    print(
        f"  {result['sends']:,} sends and edits; at Telegram's {TELEGRAM_OVERALL_RATE:.0f}/s they alone would take "
        f"{result['sends'] / TELEGRAM_OVERALL_RATE:.0f} s"
    )
    per_update = ", ".join(
        f"{method} {count / result['actions']:.2f}" for method, count in result["calls"].most_common() if count
    )
    print(f"  Bot API calls per update: {per_update}")
    if result["internal_errors"]:
        print(f"  EMULATOR ERRORS: {result['internal_errors'][:3]}")
    if result.get("profile"):
        print(result["profile"])
    return rate
