#!/usr/bin/env python3
"""The Redis Cluster part of docs/benchmarks.md (issue 14 item 7), called by report.py, and its
checks, called by check_results.py. By itself (bench/cluster/alone.sh):

    bench/report_cluster.py RESULTS_DIR OUTPUT.md   (writes the section alone, exits 1 on a problem)
"""
import json
import os
import sys

RUNS = ("1", "2", "3", "single")
STARTUP_ALERT = "alert redis_down - Redis connecting"


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _runs(results):
    return {n: _load(os.path.join(results, f"cluster-drain-{n}.json")) for n in RUNS}


def _rate(r):  # heartbeats/s from the first read: the node's start-up (16 shards) left out
    return (r or {}).get("per_s_fromFirstRead") if (r or {}).get("drained") else None


def _ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def write(results, w):
    runs = _runs(results)
    if not any(runs.values()):
        return
    any_run = next(r for r in runs.values() if r)
    w("## The heartbeat whole loop on Redis Cluster: 1, 2 and 3 primaries")
    w("")
    w(f"`bench/cluster/section.sh` (in `bench/run.sh`; alone: `bench/cluster/alone.sh`): a fresh private "
      f"cluster on loopback TCP for each P (no replicas; slots split in P contiguous parts, as "
      f"`redis-cli --cluster create` splits them), {any_run.get('heartbeats', 0):,} heartbeats of "
      f"{any_run.get('clients', 0):,} clients spread over {any_run.get('rooms', 0):,} rooms waiting in the "
      f"shards' streams `{{presence-N}}:heartbeat` (entries of {any_run.get('membersPerEntry')} members "
      f"`room/client`, as the nodes write them; each room in the shard `ClusterShards` gives it, "
      f"via `bench_cluster_shards`), each shard's group created at 0; then ONE node "
      f"(`presence --headless --backend redis --redis redis://127.0.0.1:p1,…`; P = 1 names its one "
      f"node twice) drains every shard, timed until each group has read and acknowledged its last "
      f"entry (`bench/cluster/drain.py`, XINFO GROUPS every ≤ 5 ms), then checked: each shard's "
      f"deadline index holds exactly its online members. The baseline is the plain engine "
      f"(`RedisPresenceEngine`, one `heartbeat` stream) on one `redis-server` of the same build, "
      f"same TCP transport, same entries, same harness, in the same run.")
    w("")
    w("**On this 2-core VM the absolute rate cannot grow with the primaries**: all P redis-servers and "
      "the node share the same 2 cores. What the table shows is the ratio (what the cluster layer costs "
      "or saves) and how the Redis CPU spreads over the primaries; on a host with a core per primary "
      "the Redis side would scale apart.")
    w("")
    w("| P | heartbeats/s from the first read | from the node's start | vs P = 1 | vs single Redis "
      "| Redis CPU s per primary | Redis CPU µs per heartbeat | node CPU s | drained in |")
    w("|---|---|---|---|---|---|---|---|---|")
    one, single = _rate(runs["1"]), _rate(runs["single"])
    for name in RUNS:
        r = runs[name]
        label = "single Redis (baseline)" if name == "single" else name
        if not r or not r.get("drained"):
            w(f"| {label} | {'not measured' if not r else 'did not finish'} | — | — | — | — | — | — | — |")
            continue
        cpus = [p.get("redisCpuSeconds", 0) for p in r.get("perPrimary", {}).values()]
        rate = _rate(r)
        w(f"| {label} | {rate:,}/s | {r.get('per_s', 0):,}/s | {_ratio(rate, one)} | {_ratio(rate, single)} | "
          f"{' / '.join(f'{c:.2f}' for c in cpus)} | {sum(cpus) * 1e6 / max(r.get('heartbeats', 1), 1):.1f} | "
          f"{r.get('nodeCpuSeconds') or 0:.2f} | {r.get('seconds'):.2f} s |")
    w("")
    w("Redis CPU is `INFO cpu` (user + sys) of each primary over the drain, summed per heartbeat; the "
      "FCALL times of `INFO commandstats` are in the JSON but are wall time inside the command, which "
      "grows with P here only because more processes than cores take turns.")
    w("")
    spread = []
    for name in ("2", "3"):
        r = runs[name]
        if r and r.get("drained"):
            hb = " / ".join(f"{p.get('heartbeats', 0):,}" for p in r.get("perPrimary", {}).values())
            spread.append(f"P = {name}: {hb} heartbeats per primary")
    if spread:
        w("Heartbeats per primary (the rooms' shards over the primaries' slots): " + "; ".join(spread) + ".")
        w("")
    ref = _load(os.path.join(results, "drain-ours-batched.json"))
    if ref and ref.get("drained"):
        w(f"For reference, the peer section's drain of our node (one Redis, unix socket, default room, "
          f"same 500-member entries): {ref.get('per_s_fromFirstRead', 0):,}/s from the first read.")
        w("")
    # Every node logs the redis_down alert once at start-up, before its connections are up.
    warned = {n: [line for line in r.get("nodeLogWarnings", []) if STARTUP_ALERT not in line]
              for n, r in runs.items() if r}
    for name, lines in warned.items():
        if lines:
            w(f"Node log warnings (P = {name}): " + "; ".join(f"`{line[:160]}`" for line in lines[:3]))
            w("")


def problems(results):
    out = []
    for name, r in _runs(results).items():
        f = f"cluster-drain-{name}.json"
        if r is None:
            out.append(f"{f}: missing or unreadable")
        elif not r.get("drained"):
            out.append(f"{f}: the node did not drain every shard")
        elif not r.get("per_s_fromFirstRead"):
            out.append(f"{f}: no rate from the first read")
        elif not r.get("allOnline"):
            bad = [s for s in r.get("shards", []) if s.get("online") != s.get("members")]
            out.append(f"{f}: shards whose members are not all online after the drain: "
                       + ", ".join(f"{s['shard']} ({s['online']}/{s['members']})" for s in bad))
        elif name != "single" and r.get("primaries") != int(name):
            out.append(f"{f}: {r.get('primaries')} primaries, expected {name}")
    return out


if __name__ == "__main__":
    lines = ["# Heartbeat drain on Redis Cluster (bench/cluster/alone.sh)", ""]
    machine = _load(os.path.join(sys.argv[1], "machine.json")) or {}
    lines += [f"mode `{machine.get('mode', '?')}`, load average at start "
              f"{' '.join(machine.get('loadavg_start', []))}", ""]
    write(sys.argv[1], lines.append)
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(lines))
    found = problems(sys.argv[1])
    for p in found:
        print(f"check_results: {p}", file=sys.stderr)
    sys.exit(1 if found else 0)
