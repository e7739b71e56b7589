"""The `--reuse-port` part of docs/benchmarks.md (issue 16, goal 4), called by report.py:
one node, then two nodes sharing one port (SO_REUSEPORT), the same load generator runs."""
import os

from report_peer import _load, _ms  # the same JSON loading and ms cells


def write(results, w):
    runs = {(k, n): _load(os.path.join(results, f"reuseport-{k}-{n}.json"))
            for k in ("fanout", "storm") for n in (1, 2)}
    if not any(runs.values()):
        return
    w("## More cores: two nodes on one port (`--reuse-port`)")
    w("")
    w("`bench/reuse_port/section.sh`: the Redis engine on a fresh private `redis-server` each time; "
      "one node, then two nodes started with `--reuse-port` on the same port (the kernel hands each "
      "new connection to one of them). *fan-out*: N sessions in one room (100 distinct clients), "
      "settled, then one more client joins: its ONLINE goes through Redis to both nodes, each writes "
      "to its own half. *storm*: N distinct clients at once over rooms. On this 2-core VM the load "
      "generator, Redis and the nodes share the two cores, so a second node can win only the part "
      "of a core the others leave idle; on a host with more cores the nodes scale apart.")
    w("")
    w("| run | nodes | sessions | fan-out p99 from the event's `at` | from connect | all rosters complete | "
      "establish p99 |")
    w("|---|---|---|---|---|---|---|")
    for (kind, n), r in runs.items():
        if not r:
            w(f"| {kind} | {n} | not measured | — | — | — | — |")
            continue
        p = r.get("probe", {})
        done = r.get("roster", {}).get("allCompleteMs", -1)
        w(f"| {kind} | {n} | {r.get('established')}/{r.get('sessions')} | "
          f"{_ms(p.get('fromEventAtUs', {}).get('p99'))} | {_ms(p.get('latencyUs', {}).get('p99'))} | "
          f"{'—' if done is None or done < 0 else f'{done:,.0f} ms'} | "
          f"{_ms(r.get('establishUs', {}).get('p99'))} |")
    w("")
