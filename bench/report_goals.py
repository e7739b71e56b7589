"""Issue 16's goals, each judged from this run's JSON: the first section of docs/benchmarks.md
after the machine (called by report.py). Every line says the goal, the figure and whether it is
met; the figures are the same as in the sections below, the fan-out, drain and storm
comparisons paired by round (bench/paired.py). A goal whose measurement is missing is "not
measured", never met.
"""
import glob
import os
import re

import paired
from report_peer import _load, _per_session


def _sizes(results, pattern):
    """The N of every file matching pattern (with one {} for N), ascending."""
    found = set()
    for path in glob.glob(os.path.join(results, pattern.format("*"))):
        number = re.search(r"-(\d+)\.json$", path)
        if number:
            found.add(int(number.group(1)))
    return sorted(found)


def _verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def _storm_parts(results, engine, n):
    """(ok, text) for one engine's storm of n: full rosters, none dropped, peak ≤ 1 GiB, ≤ 15 s;
    None when it did not run."""
    r = _load(os.path.join(results, f"storm-{engine}-{n}.json"))
    if not r:
        return None, f"{engine}: not measured"
    t = r.get("roster", {}).get("allCompleteMs")
    done = t is not None and t >= 0
    dropped = r.get("droppedAfterEstablished") or 0
    peak_kib = r.get("serverHwm", {}).get("endKiB", -1)
    ok = done and dropped == 0 and 0 < peak_kib <= 1024 * 1024 and t <= 15000
    when = f"{t / 1000:.2f} s" if done else "rosters never all full"
    return ok, (f"{engine} {when}, {dropped:,} dropped, peak {peak_kib / 1024:.0f} MiB"
                if peak_kib > 0 else f"{engine} {when}, {dropped:,} dropped")


def _storm(results, w):
    # The goal's 5,000 in a full run; the largest there is in a smoke run.
    n = (_sizes(results, "storm-memory-{}.json") or [5000])[-1]
    parts = [_storm_parts(results, e, n) for e in ("memory", "redis")]
    mem = _load(os.path.join(results, f"storm-memory-{n}.json")) or {}
    red = _load(os.path.join(results, f"storm-redis-{n}.json")) or {}
    m, each = paired.median_ratio(mem.get("roundsStormMs"), red.get("roundsStormMs"))
    faster = None if m is None else m <= 1.0
    oks = [ok for ok, _ in parts] + [faster]
    ok = None if None in oks else all(oks)
    w(f"| 1. storm: {n:,} distinct clients into one room, both engines: full rosters, none "
      f"dropped, peak RSS ≤ 1 GiB, ≤ 15 s; memory engine at least as fast as Redis (paired) | "
      f"{'; '.join(text for _, text in parts)}; memory / Redis {paired.fmt_ratio(m, 3)} "
      f"({', '.join(paired.fmt_ratio(x) for x in each) or 'one round'}) | {_verdict(ok)} |")


def _loop(results, w):
    ours = _load(os.path.join(results, "drain-ours-batched.json")) or {}
    peer = _load(os.path.join(results, "drain-peer.json")) or {}
    ceiling = (_load(os.path.join(results, "redis-benchmark.json")) or {}).get("set_per_s")
    m, each = paired.median_ratio(ours.get("roundsPerSFromFirstRead"),
                                  peer.get("roundsPerSFromFirstRead"), failed_ours=0.0)
    rate = ours.get("per_s_fromFirstRead") if ours.get("drained") else None
    share = rate / ceiling if rate and ceiling else None
    ok = None if m is None or share is None else (m >= 2.0 and share >= 0.20)
    share_text = f"{100 * share:.1f} % of pipelined SET" if share is not None else "SET share —"
    w(f"| 2. heartbeat whole loop ≥ 2× the peer (paired) and ≥ 20 % of pipelined SET | "
      f"{paired.fmt_ratio(m, 3)} the peer ({', '.join(paired.fmt_ratio(x) for x in each) or '—'}); "
      f"{share_text} | {_verdict(ok)} |")


def _fanout(results, w):
    cells, oks = [], []
    for engine in ("memory", "redis"):
        for n in _sizes(results, "fanout-floor-{}.json"):
            r = _load(os.path.join(results, f"fanout-{engine}-{n}.json"))
            f = _load(os.path.join(results, f"fanout-floor-{n}.json"))
            if not r or not f:
                continue
            m, _ = paired.median_ratio(r.get("roundsP99FromEventUs"), f.get("roundsP99FromEventUs"))
            oks.append(None if m is None else m <= 1.3)
            cells.append(f"{engine} {n:,} {paired.fmt_ratio(m, 3)}")
    ok = None if not oks or None in oks else all(oks)
    w(f"| 3. fan-out p99 from the event within 1.3× of the floor (paired) | "
      f"{'; '.join(cells) or '—'} | {_verdict(ok)} |")


def _cores(results, w):
    one = _load(os.path.join(results, "reuseport-fanout-1.json")) or {}
    two = _load(os.path.join(results, "reuseport-fanout-2.json")) or {}
    a = one.get("probe", {}).get("fromEventAtUs", {}).get("p99")
    b = two.get("probe", {}).get("fromEventAtUs", {}).get("p99")
    text = f"fan-out p99 one node {a / 1000:.1f} ms, two nodes {b / 1000:.1f} ms" if a and b else "—"
    w(f"| 4. more cores: `--reuse-port`, measured | {text} | "
      f"{_verdict(None if not (a and b) else True)} (a measurement, no line) |")


def _idle(results, w):
    cells, oks = [], []
    for engine in ("memory", "redis"):
        per = _per_session(_load(os.path.join(results, f"held-{engine}.json")))
        oks.append(None if per is None else per <= 4096)
        cells.append(f"{engine} {'—' if per is None else f'{per / 1024:.1f} KiB'}")
    ok = None if None in oks else all(oks)
    w(f"| 5. idle session ≤ 4 KiB of process memory | {'; '.join(cells)} | {_verdict(ok)} |")


def write(results, w):
    w("## Issue 16's goals in this run")
    w("")
    w("Each judged from this run alone. Where the bench repeats a measurement in interleaved "
      "rounds (fan-out, drains, the largest storm: five in a full run), a comparison is the median "
      "of the per-round ratios, round K of one side over round K of the other (`bench/paired.py`): "
      "this machine's load falls in modes ~2× apart that last minutes, and a ratio of two medians "
      "can pair one side's quiet round with the other's busy one. The sections below give every "
      "round.")
    w("")
    if (_load(os.path.join(results, "machine.json")) or {}).get("mode") == "smoke":
        w("*A smoke run*: sizes far below the goals' and one round each; its verdicts check the "
          "harness, not the goals.")
        w("")
    w("| goal | this run | verdict |")
    w("|---|---|---|")
    _storm(results, w)
    _loop(results, w)
    _fanout(results, w)
    _cores(results, w)
    _idle(results, w)
    w("")
