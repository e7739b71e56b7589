#!/usr/bin/env python3
"""Checks that a bench/run.sh run produced a usable result for every measurement.

    bench/check_results.py RESULTS_DIR smoke|full REPORT.md

Prints one line per problem and exits 1 if there is any. bench/run.sh --smoke (what CI runs)
treats that as fatal: it proves the harness works (programs start, sessions connect, events
arrive and are parsed, rosters fill, JSON and the report are written), not that it is fast.
A full run only warns: at full sizes a saturated node legitimately leaves storms incomplete.
"""
import glob
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True
import report_cluster  # noqa: E402


def main():
    results, mode, report = sys.argv[1], sys.argv[2], sys.argv[3]
    problems = []

    def load(name):
        path = os.path.join(results, name)
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{name}: missing or unreadable ({e})")
            return None

    def runs(pattern, least):
        paths = sorted(glob.glob(os.path.join(results, pattern)))
        if len(paths) < least:
            problems.append(f"{pattern}: {len(paths)} result(s), expected at least {least}")
        return [(os.path.basename(p), load(os.path.basename(p))) for p in paths]

    load("machine.json")
    for transport in ("unix", "tcp", "tls"):
        d = load(f"drain-transport-{transport}.json")
        if d is not None and not d.get("drained"):
            problems.append(f"drain-transport-{transport}.json: the node did not drain the stream")
    for name in ("ours-batched", "ours", "peer"):
        if not os.path.exists(os.path.join(results, "peer.json")) or (load("peer.json") or {}).get("skipped"):
            break
        d = load(f"drain-{name}.json")
        if d is not None and not d.get("drained"):
            problems.append(f"drain-{name}.json: the processor did not drain the stream")
    problems.extend(report_cluster.problems(results))  # the Redis Cluster drain, 1-3 primaries
    support = load("room-routing.json") or {}
    rooms = bool(support.get("supported"))

    for name, r in runs("held-*.json", 2):
        if r and not r.get("established"):
            problems.append(f"{name}: no session established ({r.get('failures')})")
        elif r and r.get("serverRss", {}).get("beforeKiB", -1) <= 0:
            problems.append(f"{name}: the node's VmRSS was not read")
    runs("fanout-floor-*.json", 1)  # the floor ran (goal 3); its probe is checked below
    for name, r in runs("fanout-*.json", 2):
        p = (r or {}).get("probe", {})
        if r and not p.get("arrivals"):
            problems.append(f"{name}: the probe's ONLINE reached no session")
    for name, r in runs("reuseport-*.json", 2 if mode == "smoke" else 4):  # --reuse-port, 1 and 2 nodes
        if r and not r.get("established"):
            problems.append(f"{name}: no session established ({r.get('failures')})")
        elif r and r.get("kind") == "fanout" and not r.get("probe", {}).get("arrivals"):
            problems.append(f"{name}: the probe's ONLINE reached no session")
    peer = load("peer.json") or {}
    if not peer.get("skipped"):
        runs("storm-peer-*.json", 1)  # the peer in the same storms
    for name, r in runs("storm-*.json", 2):
        if not r:
            continue
        if mode == "smoke" and r.get("droppedAfterEstablished", 0):
            problems.append(f"{name}: {r['droppedAfterEstablished']} sessions dropped during the storm")
        ro = r.get("roster", {})
        if ro.get("complete", 0) == 0:
            problems.append(f"{name}: no session ever held its full roster")
        elif mode == "smoke" and ro.get("allCompleteMs", -1) < 0:
            problems.append(f"{name}: only {ro.get('complete')}/{r.get('sessions')} sessions held their full roster")
        if r.get("serverHwm", {}).get("endKiB", -1) <= 0:
            problems.append(f"{name}: the node's VmHWM was not read")
    if rooms:
        for name, r in runs("rooms-*.json", 2):
            ro = (r or {}).get("roster", {})
            if r and ro.get("foreignEvents", 0) != 0:
                problems.append(f"{name}: {ro['foreignEvents']} events about clients of other rooms")
            if r and mode == "smoke" and ro.get("allCompleteMs", -1) < 0:
                problems.append(f"{name}: rosters not complete")
    hb = load("heartbeat.json")
    if hb is not None and not hb.get("per_s"):
        problems.append("heartbeat.json: no heartbeat rate")
    rb = load("redis-benchmark.json")
    if rb is not None and not rb.get("set_per_s"):
        problems.append("redis-benchmark.json: no SET rate")
    off = load("offline-latency.json")
    if off is not None and not any(r.get("seen") for r in off):
        problems.append("offline-latency.json: no OFFLINE seen")

    if not os.path.isfile(report) or os.path.getsize(report) == 0:
        problems.append(f"{report}: the report was not written")
    elif shutil.which("gnuplot"):
        text = open(report).read()
        for png in ("bench-fanout.png", "bench-storm.png"):
            if f"]({png})" not in text or not os.path.isfile(os.path.join(os.path.dirname(report), png)):
                problems.append(f"{png}: not drawn although gnuplot is installed")

    for p in problems:
        print(f"check_results: {p}", file=sys.stderr)
    if not problems:
        print(f"check_results: {mode} results complete ({results})", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
