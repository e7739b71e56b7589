"""The Node.js peer's part of docs/benchmarks.md (issue 6, item 1), called by report.py.

The peer's held and fan-out runs are already rows of report.py's own tables (engine
"peer (Node.js)"); this adds the heartbeat drain (ours and the peer, the same harness) and a
side-by-side summary with ratios.
"""
import glob
import json
import os

import paired


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _int(v):
    return "—" if v is None else f"{int(v):,}"


def _ms(us):
    return "—" if us is None or us < 0 else f"{us / 1000:,.1f} ms"


def _ratio(peer, ours, lower_is_better=False):
    if not peer or not ours:
        return "—"
    r = peer / ours
    if abs(r - 1) < 0.03:
        return f"{r:.2f}× (about equal)"
    better = (r < 1) if lower_is_better else (r > 1)
    return f"{r:.2f}× ({'peer better' if better else 'ours better'})"


def _per_session(r):
    rss = (r or {}).get("serverRss", {})
    before, settled = rss.get("beforeKiB", -1), rss.get("settledKiB", -1)
    if settled < 0:
        settled = rss.get("endKiB", -1)
    est = (r or {}).get("established", 0)
    return (settled - before) * 1024 / est if est and before > 0 and settled > 0 else None


def write(results, w):
    info = _load(os.path.join(results, "peer.json"))
    w("## The Node.js peer")
    w("")
    if not info:
        w("Not measured in this run.")
        w("")
        return
    if info.get("skipped"):
        w(f"Skipped in this run: {info['skipped']}.")
        w("")
        return
    w(f"`bench/peers/node` (Node.js {info.get('node')}, better-sse {info.get('better-sse')}, ioredis "
      f"{info.get('ioredis')}): the same contract written as a Node team would (see its README), measured "
      "in the same run by the same load generator with the same arguments, on its own private "
      "`redis-server`. Its rows in the tables above are engine *peer (Node.js)*; compare them with the "
      "*redis* engine (both keep presence in Redis). Load average during the peer's part: "
      f"{' '.join(info.get('loadavg_start', []))} → {' '.join(info.get('loadavg_end', []))}.")
    w("")

    # Heartbeat drain
    rb = _load(os.path.join(results, "redis-benchmark.json")) or {}
    ceiling = rb.get("set_per_s")
    hb = _load(os.path.join(results, "heartbeat.json"))
    drains = {n: _load(os.path.join(results, f"drain-{n}.json")) for n in ("ours-batched", "ours", "peer")}
    w("### Heartbeat throughput: the processor's whole loop")
    w("")
    any_drain = next((d for d in drains.values() if d), None) or {}
    w(f"`bench/heartbeat/drain.py`: {_int(any_drain.get('heartbeats'))} entries `client hb-(i mod "
      f"{_int(any_drain.get('clients'))})` written to the `heartbeat` stream (pipelined XADD) and the "
      "processor's consumer group created at the stream's start, then the processor under test is "
      "started on that private `redis-server` and timed until its group has read and acknowledged "
      "everything (XINFO GROUPS: last-delivered-id = the stream's last id, pending 0). It runs its real "
      "loop: XREADGROUP → state update (ours: `FCALL presence_heartbeat_groups`; the peer: `EVALSHA` of "
      "its `heartbeat.lua`) → XACK, including the first refresh of every client (an ONLINE transition "
      "each). Each processor drains what its own nodes write: the peer's one entry per heartbeat; ours "
      "entries of 500 members each (`members hb-i hb-(i+1) …`, as `RedisPresenceEngine::heartbeat` "
      "writes them), and, on the row *seed's entries*, the same one-client entries the peer reads. "
      "d = 60 s for both so that no key expires during the drain. Ours: `presence --headless "
      "--backend redis --redis unix://SOCK --heartbeat 60s`; the peer: `node src/main.js --redis "
      "unix://SOCK --heartbeat 60s`. The ceiling is the `redis-benchmark` SET figure above, same run.")
    w("")
    w("| processor | drained in (from process start) | heartbeats/s | from the first read | "
      "% of pipelined SET | clients at d = 5 s | every round, from the first read |")
    w("|---|---|---|---|---|---|---|")
    for name, label in (("ours-batched", "ours (C++ node), its own entries (500 members each)"),
                        ("ours", "ours (C++ node), the seed's entries (one client each)"),
                        ("peer", "peer (Node.js)")):
        d = drains.get(name)
        if not d:
            w(f"| {label} | not measured | — | — | — | — | — |")
            continue
        if not d.get("drained"):
            w(f"| {label} | did not finish | — | — | — | — | — |")
            continue
        rate = d.get("per_s_fromFirstRead") or d.get("per_s")
        pct = f"{100 * rate / ceiling:.1f} %" if ceiling and rate else "—"
        rounds = ", ".join(_int(x) if x else "did not finish" for x in d.get("roundsPerSFromFirstRead") or [])
        w(f"| {label} | {d.get('seconds'):.2f} s | {_int(d.get('per_s'))}/s | "
          f"{_int(d.get('per_s_fromFirstRead'))}/s | {pct} | {_int(rate * 5 if rate else None)} | "
          f"{rounds or '—'} |")
    if hb and ceiling:
        w(f"| ours, FCALL alone (`bench_heartbeat`, above) | — | {_int(hb.get('per_s'))}/s | — | "
          f"{100 * hb.get('per_s', 0) / ceiling:.1f} % | {_int(hb.get('per_s', 0) * 5)} | — |")
    w("")
    w("% of pipelined SET and clients at d = 5 s use the rate from the first read (start-up left out). "
      "Each processor drains as many rounds as the run has (5 in a full run, 1 in the smoke), "
      "interleaved with the others' so that a change in the machine's load hits all alike; its row is "
      "its median round (identical drains differ by up to ±35 % here: redis-server's own CPU seconds "
      "for the same work do).")
    w("")
    peer_rounds = (drains.get("peer") or {}).get("roundsPerSFromFirstRead")
    for name, label, goal in (("ours-batched", "its own entries", " (issue 16 goal: ≥ 2×)"),
                              ("ours", "the seed's entries", "")):
        ours_rounds = (drains.get(name) or {}).get("roundsPerSFromFirstRead")
        m, each = paired.median_ratio(ours_rounds, peer_rounds, failed_ours=0.0)
        if len(each) > 1:
            w(f"- ours ({label}) / the peer, paired by round (round K of each drained within a minute of "
              f"the other: bench/paired.py): {', '.join(paired.fmt_ratio(x) for x in each)}; "
              f"median **{paired.fmt_ratio(m)}**{goal}.")
    w("")

    # Summary
    w("### Side by side")
    w("")
    w("| measure | ours (redis engine) | peer (Node.js) | peer / ours |")
    w("|---|---|---|---|")
    ours_held = _load(os.path.join(results, "held-redis.json"))
    peer_held = _load(os.path.join(results, "held-peer.json"))
    if ours_held or peer_held:
        o, p = (ours_held or {}).get("established"), (peer_held or {}).get("established")
        asked = (peer_held or ours_held or {}).get("sessions")
        w(f"| sessions held (of {_int(asked)} asked) | {_int(o)} | {_int(p)} | {_ratio(p, o)} |")
        o, p = _per_session(ours_held), _per_session(peer_held)
        w(f"| memory per idle session (ΔVmRSS / established) | "
          f"{'—' if o is None else f'{o / 1024:.1f} KiB'} | {'—' if p is None else f'{p / 1024:.1f} KiB'} | "
          f"{_ratio(p, o, lower_is_better=True)} |")
    sizes = sorted({_load(f).get("sessions") for f in glob.glob(os.path.join(results, "fanout-peer-*.json"))
                    if _load(f)})
    for n in sizes:
        o = _load(os.path.join(results, f"fanout-redis-{n}.json")) or {}
        p = _load(os.path.join(results, f"fanout-peer-{n}.json")) or {}
        for key, label in (("latencyUs", "from connect"), ("fromEventAtUs", "from the event's `at`")):
            ov = o.get("probe", {}).get(key, {}).get("p99")
            pv = p.get("probe", {}).get(key, {}).get("p99")
            oa, pa = o.get("probe", {}), p.get("probe", {})
            w(f"| fan-out p99 {label}, N = {_int(n)} (got it: ours {_int(oa.get('arrivals'))}, peer "
              f"{_int(pa.get('arrivals'))}) | {_ms(ov)} | {_ms(pv)} | {_ratio(pv, ov, lower_is_better=True)} |")
    p = (drains.get("peer") or {}).get("per_s_fromFirstRead")
    for name, label in (("ours-batched", "each its own entries"), ("ours", "both on one-client entries")):
        o = (drains.get(name) or {}).get("per_s_fromFirstRead")
        share = f" = {100 * o / ceiling:.1f} % of pipelined SET" if o and ceiling else ""
        w(f"| heartbeat drain ({label}), heartbeats/s from the first read | {_int(o)}/s{share} | "
          f"{_int(p)}/s | {_ratio(p, o)} |")
    w("")
