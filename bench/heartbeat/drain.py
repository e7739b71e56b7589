#!/usr/bin/env python3
"""Heartbeat drain: the whole processor loop of any implementation, timed the same way.

    bench/heartbeat/drain.py --redis SOCK --group GROUP [--heartbeats H] [--clients C]
                             [--members-per-entry K] [--batch 1000] [--timeout S] [--json FILE]
                             -- PROCESSOR-COMMAND…

1. Pre-fills the `heartbeat` stream with H entries `client hb-(i mod C)` (pipelined XADD, batches
   of --batch) - or, with --members-per-entry K > 1, with H/K entries `members "hb-i hb-(i+1) …"`
   of K heartbeats each, the form our nodes write (backend/redis/StreamEntries.h) - and creates the processor's consumer group at the stream's start (id 0,
   ENTRIESREAD 0), so the processor finds H heartbeats waiting (our node and the peer both create
   their group with "$" and accept BUSYGROUP).
2. Starts PROCESSOR-COMMAND, polls XINFO GROUPS every 5 ms until the group's last-delivered-id is
   the stream's last id and nothing is pending (every entry read, processed and XACKed).
3. heartbeats/s = H / (done − start of the process); also H / (done − first entry read), which
   leaves the process start-up out. Also where the time went: the processor's CPU seconds
   (/proc/PID/stat, the command's own process), redis-server's (INFO cpu, before and after) and
   the commands Redis ran for it (INFO commandstats: calls and µs per command). Kills the
   processor and prints JSON.

Standard library only (RESP over the unix socket).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time


class Redis:
    def __init__(self, path):  # a unix socket's path, or HOST:PORT (bench/cluster/drain.py)
        if "/" not in path and ":" in path:
            host, port = path.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(path)
        self.file = self.sock.makefile("rb", buffering=1 << 20)

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self.encode(*c) for c in commands))
        return [self.read() for _ in commands]

    def call(self, *args):
        reply = self.pipeline([args])[0]
        if isinstance(reply, RuntimeError):
            raise reply
        return reply


def redis_cpu(r):
    info = dict(line.split(":", 1) for line in r.call("INFO", "cpu").splitlines() if ":" in line)
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def command_stats(r):  # {command: (calls, usec)}
    stats = {}
    for line in r.call("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            fields = dict(f.split("=") for f in rest.split(","))
            stats[name] = (int(fields["calls"]), int(fields["usec"]))
    return stats


def stop_process(proc):
    """SIGTERM to the processor's process group, SIGKILL after 5 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def process_cpu(pid):  # utime + stime of one process, seconds
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def group_info(r, stream, group):
    for g in r.call("XINFO", "GROUPS", stream):
        d = dict(zip(g[::2], g[1::2]))
        if d.get("name") == group:
            return d
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--redis", required=True, help="unix socket path (or unix:///path)")
    p.add_argument("--group", required=True, help="the processor's consumer group")
    p.add_argument("--stream", default="heartbeat")
    p.add_argument("--heartbeats", type=int, default=1000000)
    p.add_argument("--clients", type=int, default=100000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--members-per-entry", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--name", default="")
    p.add_argument("--json")
    p.add_argument("--log", help="append the processor's stdout and stderr here (default: discarded)")
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    path = a.redis[len("unix://"):] if a.redis.startswith("unix://") else a.redis
    r = Redis(path)

    r.call("DEL", a.stream)
    t0 = time.monotonic()
    k = max(a.members_per_entry, 1)

    def entry(first):  # the XADD of the entry holding heartbeat `first` (and k - 1 more)
        if k == 1:
            return ("XADD", a.stream, "*", "client", "hb-%d" % (first % a.clients))
        names = " ".join("hb-%d" % (i % a.clients) for i in range(first, min(first + k, a.heartbeats)))
        return ("XADD", a.stream, "*", "members", names, "node", "drain")

    for start in range(0, a.heartbeats, a.batch * k):
        replies = r.pipeline([entry(first) for first in range(start, min(start + a.batch * k, a.heartbeats), k)])
        errors = [x for x in replies if isinstance(x, RuntimeError)]
        if errors:
            raise errors[0]
    fill_s = time.monotonic() - t0
    r.call("XGROUP", "CREATE", a.stream, a.group, "0", "ENTRIESREAD", "0")
    last_id = dict(zip(*[iter(r.call("XINFO", "STREAM", a.stream)[:])] * 2))["last-generated-id"]
    print(f"drain: {a.heartbeats} heartbeats over {a.clients} clients, {k} per entry, filled in {fill_s:.1f} s; "
          f"starting {' '.join(a.command)}", file=sys.stderr)

    # On TERM (run.sh's cleanup) still run the finally below, which stops the processor.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    r.call("CONFIG", "RESETSTAT")
    cpu0 = redis_cpu(r)
    start = time.monotonic()
    log = open(a.log, "ab") if a.log else subprocess.DEVNULL
    proc = subprocess.Popen(a.command, stdout=log, stderr=log, start_new_session=True)
    first = done = None
    info = {}
    processor_cpu = None
    try:
        while time.monotonic() - start < a.timeout:
            if proc.poll() is not None:
                print(f"drain: the processor exited ({proc.returncode})", file=sys.stderr)
                break
            info = group_info(r, a.stream, a.group) or {}
            now = time.monotonic()
            if first is None and info.get("last-delivered-id", "0-0") != "0-0":
                first = now
            if info.get("last-delivered-id") == last_id and info.get("pending") == 0:
                done = now
                processor_cpu = process_cpu(proc.pid)
                break
            time.sleep(0.005)
    finally:
        stop_process(proc)
    redis_cpu_s = redis_cpu(r) - cpu0
    stats = command_stats(r)
    result = {
        "name": a.name,
        "command": " ".join(a.command),
        "heartbeats": a.heartbeats,
        "clients": a.clients,
        "membersPerEntry": k,
        "fillSeconds": round(fill_s, 3),
        "drained": done is not None,
        "seconds": None if done is None else round(done - start, 3),
        "secondsFromFirstRead": None if done is None or first is None else round(done - first, 3),
        "per_s": None if done is None else round(a.heartbeats / (done - start)),
        "per_s_fromFirstRead": None if done is None or first is None or done <= first
        else round(a.heartbeats / (done - first)),
        "processorCpuSeconds": processor_cpu,
        "redisCpuSeconds": round(redis_cpu_s, 3),
        "commandStats": {name: {"calls": c, "usec": u} for name, (c, u) in sorted(stats.items())},
        "lastGroupInfo": {k: v for k, v in info.items() if k != "name"},
    }
    text = json.dumps(result, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    print(text)
    return 0 if done is not None else 1


if __name__ == "__main__":
    sys.exit(main())
