#!/usr/bin/env python3
"""The median round of a measurement that bench/run.sh repeats in interleaved rounds.

    bench/median_round.py fanout|drain|storm OUT.json [KEY=JSON ...] -- ROUND.json ...

fanout: rounds ordered by the probe's p99 from the event (a round without one last); the median
round gets roundsP99FromEventUs (every round's p99, in that order). drain: ordered by
heartbeats/s from the first read (a drain that did not finish counts as 0); the median gets
roundsPerSFromFirstRead. storm: ordered by the time until every roster was full (a storm that
never got there last); the median gets roundsStormMs. KEY=JSON pairs are set on the result (engine name and the like).
Unreadable round files are skipped; with none readable nothing is written.
"""
import json
import sys


def p99(r):
    return r.get("probe", {}).get("fromEventAtUs", {}).get("p99")


def rate(r):
    return (r.get("per_s_fromFirstRead") or 0) if r.get("drained") else 0


def storm_ms(r):
    t = r.get("roster", {}).get("allCompleteMs")
    return t if t is not None and t >= 0 else None


def main(argv):
    split = argv.index("--")
    kind, out, extra, paths = argv[0], argv[1], argv[2:split], argv[split + 1:]
    runs = []
    for path in paths:
        try:
            runs.append(json.load(open(path)))
        except (OSError, ValueError):
            pass
    if not runs:
        return 0
    if kind == "fanout":
        runs.sort(key=lambda r: p99(r) or float("inf"))
        rounds = ("roundsP99FromEventUs", [p99(r) for r in runs])
    elif kind == "drain":
        runs.sort(key=rate)
        rounds = ("roundsPerSFromFirstRead", [rate(r) or None for r in runs])
    elif kind == "storm":
        runs.sort(key=lambda r: storm_ms(r) or float("inf"))
        rounds = ("roundsStormMs", [storm_ms(r) for r in runs])
    else:
        sys.exit(f"median_round.py: unknown kind {kind}")
    median = runs[(len(runs) - 1) // 2]
    median[rounds[0]] = rounds[1]
    for pair in extra:
        key, value = pair.split("=", 1)
        median[key] = json.loads(value)
    json.dump(median, open(out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
