#!/usr/bin/env python3
"""The median round of a measurement that bench/run.sh repeats in interleaved rounds.

    bench/median_round.py fanout|drain|storm OUT.json [KEY=JSON ...] -- ROUND.json ...

fanout: the median round by the probe's p99 from the event (a round without one counts as the
slowest); it gets roundsP99FromEventUs, every round's p99 in round order (ROUND.json names end in
-rK.json; a round without a figure or without a file is null), so that bench/paired.py can pair
round K with the floor's or the other engine's round K. drain: the median by heartbeats/s from the
first read (a drain that did not finish counts as 0), with roundsPerSFromFirstRead. storm: the
median by the time until every roster was full (a storm that never got there the slowest), with
roundsStormMs. KEY=JSON pairs are set on the result (engine name and the like). With no round
readable nothing is written.
"""
import json
import re
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
    by_number = {}
    for path in paths:
        number = re.search(r"-r(\d+)\.json$", path)
        try:
            by_number[int(number.group(1)) if number else 0] = json.load(open(path))
        except (OSError, ValueError):
            pass
    # Round 1 first; a round with no readable file (or none at all: a skipped run) is None.
    in_order = [(k, by_number.get(k)) for k in range(1, max(by_number, default=0) + 1)] \
        if 0 not in by_number else sorted(by_number.items())
    runs = [run for _, run in in_order if run is not None]
    if not runs:
        return 0
    if kind == "fanout":
        rounds = ("roundsP99FromEventUs", [p99(run) if run else None for _, run in in_order])
        runs.sort(key=lambda r: p99(r) or float("inf"))
    elif kind == "drain":
        rounds = ("roundsPerSFromFirstRead", [(rate(run) if run else 0) or None for _, run in in_order])
        runs.sort(key=rate)
    elif kind == "storm":
        rounds = ("roundsStormMs", [storm_ms(run) if run else None for _, run in in_order])
        runs.sort(key=lambda r: storm_ms(r) or float("inf"))
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
