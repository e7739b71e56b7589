#!/usr/bin/env python3
"""bench/median_round.py keeps every round's figure in round order, bench/paired.py pairs
round K with round K, and bench/report_goals.py judges issue 16's goals by the median of those
paired ratios.
Run: python3 tests/bench/test_paired_rounds.py (ctest: tst_bench_paired_rounds)."""
import json
import os
import subprocess
import sys
import tempfile

bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
sys.path.insert(0, bench)
import paired  # noqa: E402
import report_goals  # noqa: E402


def fanout_round(directory, name, number, p99):
    path = os.path.join(directory, f"fanout-{name}-r{number}.json")
    with open(path, "w") as f:
        json.dump({"probe": {"fromEventAtUs": {"p99": p99}}} if p99 else {"probe": {}}, f)
    return path


def median_of(directory, name, paths):
    out = os.path.join(directory, f"{name}.json")
    subprocess.run([sys.executable, os.path.join(bench, "median_round.py"), "fanout", out,
                    f'engine="{name}"', "--", *paths], check=True)
    with open(out) as f:
        return json.load(f)


def main():
    failures = []

    def check(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    with tempfile.TemporaryDirectory() as d:
        # Round 3 of the engine has no figure, round 4's file is missing; r10 sorts after r9.
        ours = {1: 60, 2: 120, 3: None, 5: 66, 6: 70, 7: 71, 8: 72, 9: 73, 10: 74}
        floor = {k: 50 if k % 2 else 100 for k in range(1, 11)}
        ours_paths = [fanout_round(d, "ours", k, v) for k, v in ours.items()]
        floor_paths = [fanout_round(d, "floor", k, v) for k, v in floor.items()]
        o = median_of(d, "ours", sorted(ours_paths))  # a glob's order: r1, r10, r2, …
        f = median_of(d, "floor", sorted(floor_paths))
        check("ours in round order", o["roundsP99FromEventUs"],
              [60, 120, None, None, 66, 70, 71, 72, 73, 74])
        check("floor in round order", f["roundsP99FromEventUs"], [floor[k] for k in range(1, 11)])
        check("median round of ours (round 3 the slowest)", o["probe"]["fromEventAtUs"]["p99"], 72)
        m, each = paired.median_ratio(o["roundsP99FromEventUs"], f["roundsP99FromEventUs"])
        # Round by round; rounds 3 (no figure) and 4 (no file) count as failed: ∞.
        inf = float("inf")
        check("paired ratios", [round(x, 2) for x in each],
              [1.2, 1.2, inf, inf, 1.32, 0.7, 1.42, 0.72, 1.46, 0.74])
        check("median of the paired ratios", round(m, 2), 1.26)
        # Higher is better (a drain): a round that did not finish is 0, not left out.
        check("drain pairs", paired.ratios([300, None, 240], [150, 100, 120], failed_ours=0.0),
              [2.0, 0.0, 2.0])
        check("an even count's median", paired.median([1.0, 2.0, 3.0, 4.0]), 2.5)
        check("no rounds", paired.median_ratio([], []), (None, []))
    # report_goals.py judges the fan-out goal by the paired median: 1.2× and 1.4× → 1.3× (met),
    # 1.2× and 1.6× → 1.4× (not met).
    for engine_rounds, verdict in (([60, 70], "**met**"), ([60, 80], "**not met**")):
        with tempfile.TemporaryDirectory() as d:
            for name, rounds in (("memory", engine_rounds), ("floor", [50, 50])):
                with open(os.path.join(d, f"fanout-{name}-5000.json"), "w") as f:
                    json.dump({"probe": {"fromEventAtUs": {"p99": rounds[0]}},
                               "roundsP99FromEventUs": rounds}, f)
            lines = []
            report_goals._fanout(d, lines.append)
            check(f"fan-out goal with rounds {engine_rounds}", lines[0].rsplit("|", 2)[1].strip(),
                  verdict)
    for failure in failures:
        print("FAIL", failure)
    print("ok" if not failures else f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
