#!/usr/bin/env python3
"""The Redis Cluster part of docs/benchmarks.md (issue 14 item 7), called by report.py, and its
checks, called by check_results.py. By itself (bench/cluster/alone.sh):

    bench/report_cluster.py RESULTS_DIR OUTPUT.md   (writes the section alone, exits 1 on a problem)
"""
import os
import sys

from report_peer import _load  # one reader of result files

RUNS = ("1", "2", "3", "single")
STARTUP_ALERT = "alert redis_down - Redis connecting"




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
      f"via `bench_cluster_shards`; shard 0 is the default room's, which no named room maps to, so 15 "
      f"of the 16 shard streams are filled), each shard's group created at 0; then ONE node "
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
    _warnings(runs, w, "drain")
    write_storms(results, w)


def _warnings(runs, w, what):  # the node's log warnings, bar the redis_down alert of its start-up
    for name, r in runs.items():
        found = [d for d in ((r or {}).get("nodeLogWarnings") or {}).get("distinct", [])
                 if STARTUP_ALERT not in d.get("message", "")]
        if found:
            total = sum(d["count"] for d in found)
            w(f"Node log, {what} {name}: {total} warning(s) besides the start-up alert: "
              + "; ".join(f"{d['count']}× `{d['message'][:200]}`" for d in found[:3]))
            w("")


def _ms(us):
    return "—" if us is None or us < 0 else f"{us / 1000:,.1f} ms"


def write_storms(results, w):
    storms = {n: _load(os.path.join(results, f"cluster-storm-{n}.json")) for n in ("3", "single")}
    if not any(storms.values()):
        return
    r0 = next(r for r in storms.values() if r)
    w("### Sessions over 1,000 rooms: a join storm on 3 primaries and on one Redis")
    w("")
    w(f"The same section, a fresh node each, `--backend redis` on the 3-primary cluster above (flushed "
      f"after its drain) and on the single `redis-server` (flushed too): `bench_loadgen --sessions "
      f"{r0.get('sessions', 0)} --rooms 1000 --storm` ({r0.get('sessions', 0):,} distinct clients "
      f"opened at once, session *i* in room `r(i mod 1000)`, so each room's members live on its "
      f"shard's primary), then one more client joins session 0's room (`--probe-join`). "
      f"*All rosters complete*: from the first `connect()` until every session holds every other "
      f"member of its room ONLINE.")
    w("")
    w("| Redis | sessions | all rosters complete | establish p99 | join fan-out p99 from the event's `at` "
      "| from the joiner's connect | node peak RSS |")
    w("|---|---|---|---|---|---|---|")
    for name, label in (("3", "cluster, 3 primaries"), ("single", "single redis-server")):
        r = storms[name]
        if not r:
            w(f"| {label} | not measured | — | — | — | — | — |")
            continue
        done = r.get("roster", {}).get("allCompleteMs", -1)
        p = r.get("probe", {})
        hwm = r.get("serverHwm", {}).get("endKiB", -1)
        w(f"| {label} | {r.get('established')}/{r.get('sessions')} | "
          f"{'not complete' if done is None or done < 0 else f'{done / 1000:,.2f} s'} | "
          f"{_ms(r.get('establishUs', {}).get('p99'))} | {_ms(p.get('fromEventAtUs', {}).get('p99'))} | "
          f"{_ms(p.get('latencyUs', {}).get('p99'))} | {'—' if hwm < 0 else f'{hwm / 1024:,.0f} MiB'} |")
    w("")
    _warnings(storms, w, "storm")


def problems(results):
    out = []
    for name in ("3", "single"):
        f = f"cluster-storm-{name}.json"
        r = _load(os.path.join(results, f))
        if r is None:
            out.append(f"{f}: missing or unreadable")
        elif not r.get("established"):
            out.append(f"{f}: no session established ({r.get('failures')})")
        elif r.get("roster", {}).get("allCompleteMs", -1) < 0:
            out.append(f"{f}: only {r.get('roster', {}).get('complete')}/{r.get('sessions')} rosters complete")
        elif r.get("roster", {}).get("foreignEvents", 0):
            out.append(f"{f}: {r['roster']['foreignEvents']} events about clients of other rooms")
        elif not r.get("probe", {}).get("arrivals"):
            out.append(f"{f}: the probe's ONLINE reached no session")
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
