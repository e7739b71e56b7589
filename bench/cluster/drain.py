#!/usr/bin/env python3
"""Heartbeat drain on Redis Cluster: the whole processor loop over every shard, timed.

    bench/cluster/drain.py (--cluster HOST:PORT | --single HOST:PORT) --shards-json FILE
                           [--heartbeats H] [--clients C] [--members-per-entry K]
                           [--timeout S] [--name N] [--json FILE] [--log FILE] -- COMMAND…

1. Client j is in room j mod R (R = the rooms of FILE, bench_cluster_shards' output: each
   room's shard as ClusterShards computes it); heartbeat i is client (i mod C)'s. --cluster:
   each shard's heartbeats go to that shard's stream `{tag}:heartbeat` on the primary serving
   its slot (CLUSTER SLOTS), in entries of K members `room/client` (field `members`, plus
   `node`, as ClusterPresenceEngine's shards write them: StreamEntries.h); --single: all go to
   the one `heartbeat` stream, in the same entries, as RedisPresenceEngine writes them. Then
   each stream's group `presence-processors` is created at 0 (ENTRIESREAD 0).
2. Starts COMMAND (one node), polls XINFO GROUPS of every filled stream (≤ 5 ms apart) until
   each group's last-delivered-id is its stream's last id and nothing is pending.
3. heartbeats/s = H / (done − start of the process) and H / (done − first entry read); the
   node's CPU seconds (/proc), each primary's (INFO cpu) and its FCALL calls and time; then
   checks the work was done: each shard's deadline index holds exactly its online members.

Standard library only; the RESP client is bench/heartbeat/drain.py's.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # importing drain.py must not leave bench/heartbeat/__pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heartbeat"))
from drain import Redis, command_stats, group_info, process_cpu, redis_cpu, stop_process  # noqa: E402

GROUP = "presence-processors"


def primaries_by_slot(seed):  # [(first, last, "host:port")] from CLUSTER SLOTS
    ranges = []
    for first, last, primary, *_ in seed.call("CLUSTER", "SLOTS"):
        ranges.append((first, last, "%s:%d" % (primary[0], primary[1])))
    if sum(last - first + 1 for first, last, _ in ranges) != 16384:
        raise SystemExit("cluster drain: the cluster does not cover all 16384 slots: %r" % ranges)
    return ranges


def fill_plan(a, layout):  # [(stream, prefix, [member names in heartbeat order], set)] per stream
    rooms = layout["rooms"]
    streams = {}
    for i in range(a.heartbeats):
        client = i % a.clients
        room = rooms[client % len(rooms)]
        key = 0 if a.single else room["shard"]
        streams.setdefault(key, []).append("%s/hb-%d" % (room["room"], client))
    plan = []
    for key, names in sorted(streams.items()):
        prefix = "" if a.single else "{%s}:" % layout["shards"][key]["tag"]
        plan.append({"shard": key, "prefix": prefix, "stream": prefix + "heartbeat", "names": names,
                     "slot": None if a.single else layout["shards"][key]["slot"]})
    return plan


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--cluster", help="one cluster node, HOST:PORT")
    where.add_argument("--single", help="a plain redis-server, HOST:PORT")
    p.add_argument("--shards-json", required=True)
    p.add_argument("--heartbeats", type=int, default=400000)
    p.add_argument("--clients", type=int, default=100000)
    p.add_argument("--members-per-entry", type=int, default=500)
    p.add_argument("--batch", type=int, default=200, help="XADDs per pipeline")
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--name", default="")
    p.add_argument("--json")
    p.add_argument("--log", help="append the node's stdout and stderr here")
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    with open(a.shards_json) as f:
        layout = json.load(f)
    k = max(a.members_per_entry, 1)

    if a.single:
        owners = {a.single: Redis(a.single)}
        ranges = []
    else:
        ranges = primaries_by_slot(Redis(a.cluster))
        owners = {addr: Redis(addr) for _, _, addr in ranges}
    plan = fill_plan(a, layout)
    t0 = time.monotonic()
    for s in plan:
        s["owner"] = a.single or next(addr for first, last, addr in ranges if first <= s["slot"] <= last)
        r = owners[s["owner"]]
        r.call("DEL", s["stream"])
        names = s["names"]
        adds = [("XADD", s["stream"], "*", "members", " ".join(names[i:i + k]), "node", "drain")
                for i in range(0, len(names), k)]
        for start in range(0, len(adds), a.batch):
            errors = [x for x in r.pipeline(adds[start:start + a.batch]) if isinstance(x, RuntimeError)]
            if errors:
                raise SystemExit("cluster drain: XADD to %s failed: %s" % (s["stream"], errors[0]))
        r.call("XGROUP", "CREATE", s["stream"], GROUP, "0", "ENTRIESREAD", "0")
        info = r.call("XINFO", "STREAM", s["stream"])
        s["lastId"] = dict(zip(info[::2], info[1::2]))["last-generated-id"]
        s["entries"] = len(adds)
    fill_s = time.monotonic() - t0
    print(f"cluster drain: {a.heartbeats} heartbeats over {a.clients} clients in {len(layout['rooms'])} rooms, "
          f"{len(plan)} stream(s) on {len(owners)} Redis, {k} per entry, filled in {fill_s:.1f} s; "
          f"starting {' '.join(a.command)}", file=sys.stderr)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still run the finally below
    cpu0 = {}
    for addr, r in owners.items():
        r.call("CONFIG", "RESETSTAT")
        cpu0[addr] = redis_cpu(r)
    start = time.monotonic()
    log = open(a.log, "ab") if a.log else subprocess.DEVNULL
    proc = subprocess.Popen(a.command, stdout=log, stderr=log, start_new_session=True)
    first = done = None
    node_cpu = None
    waiting = list(plan)
    try:
        while waiting and time.monotonic() - start < a.timeout:
            if proc.poll() is not None:
                print(f"cluster drain: the node exited ({proc.returncode})", file=sys.stderr)
                break
            still = []
            for s in waiting:
                s["group"] = group_info(owners[s["owner"]], s["stream"], GROUP) or {}
                delivered = s["group"].get("last-delivered-id", "0-0")
                if first is None and delivered != "0-0":
                    first = time.monotonic()
                if delivered == s["lastId"] and s["group"].get("pending") == 0:
                    s["drainedAfter"] = round(time.monotonic() - start, 3)
                else:
                    still.append(s)
            waiting = still
            if not waiting:
                done = time.monotonic()
                node_cpu = process_cpu(proc.pid)
                break
            time.sleep(0.005)
    finally:
        stop_process(proc)
    for s in waiting:
        print(f"cluster drain: shard {s['shard']} ({s['stream']} on {s['owner']}) not drained: {s.get('group')}",
              file=sys.stderr)
    per_primary = {}
    for addr, r in owners.items():
        stats = command_stats(r)
        mine = [s for s in plan if s["owner"] == addr]
        per_primary[addr] = {
            "redisCpuSeconds": round(redis_cpu(r) - cpu0[addr], 3),
            "shards": [s["shard"] for s in mine],
            "heartbeats": sum(len(s["names"]) for s in mine),
            "fcall": {"calls": stats.get("fcall", (0, 0))[0], "usec": stats.get("fcall", (0, 0))[1]},
            "commandStats": {n: {"calls": c, "usec": u} for n, (c, u) in sorted(stats.items())},
        }
    shards = []
    for s in plan:  # processed, not only acknowledged: the deadline index holds the online members
        online = owners[s["owner"]].call("ZCARD", s["prefix"] + "presence:deadlines")
        shards.append({"shard": s["shard"], "stream": s["stream"], "primary": s["owner"],
                       "heartbeats": len(s["names"]), "entries": s["entries"],
                       "members": len(set(s["names"])), "online": online,
                       "drainedAfter": s.get("drainedAfter"), "lastGroupInfo": s.get("group", {})})
    result = {
        "name": a.name,
        "mode": "single" if a.single else "cluster",
        "primaries": len(owners),
        "command": " ".join(a.command),
        "heartbeats": a.heartbeats,
        "clients": a.clients,
        "rooms": len(layout["rooms"]),
        "membersPerEntry": k,
        "fillSeconds": round(fill_s, 3),
        "drained": done is not None,
        "seconds": None if done is None else round(done - start, 3),
        "secondsFromFirstRead": None if done is None or first is None else round(done - first, 3),
        "per_s": None if done is None else round(a.heartbeats / (done - start)),
        "per_s_fromFirstRead": None if done is None or first is None or done <= first
        else round(a.heartbeats / (done - first)),
        "nodeCpuSeconds": node_cpu,
        "perPrimary": per_primary,
        "shards": shards,
        "allOnline": all(s["online"] == s["members"] for s in shards),
    }
    text = json.dumps(result, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    print(text)
    return 0 if done is not None and result["allOnline"] else 1


if __name__ == "__main__":
    sys.exit(main())
