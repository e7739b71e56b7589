#!/usr/bin/env python3
"""Renewals A/B: FCALL presence_heartbeat_groups of two function-library sources, same run.

    bench/heartbeat/renewals-ab.py OLD.lua NEW.lua [--rounds 4] [--first]

A private redis-server (unix socket, no persistence); 100,000 members made ONLINE once, then,
per round and per library (loaded with FUNCTION LOAD REPLACE, in alternating order), 200 calls
of two 500-member groups pipelined (200,000 renewals, the steady state of a heartbeat drain:
every member already ONLINE), timed from the first write to the last reply. Prints renewals/s
per round and the median. Isolates the function's own cost from the processor loop and the
machine's noise that a whole drain (drain-ab.sh) carries. Standard library only.

--first: first heartbeats instead (the other part of a drain: 100,000 members new to the
library each round, one connection each, every one an ONLINE transition with its stream entry).
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

if len(sys.argv) < 3:
    sys.exit("usage: renewals-ab.py OLD.lua NEW.lua [--rounds N]")
sources = {'old': sys.argv[1], 'new': sys.argv[2]}
rounds = int(sys.argv[sys.argv.index('--rounds') + 1]) if '--rounds' in sys.argv else 4
first_heartbeats = '--first' in sys.argv
workdir = tempfile.mkdtemp(prefix='renewals-ab.')
sock_path = os.path.join(workdir, 'redis.sock')
p=subprocess.Popen(['redis-server','--port','0','--unixsocket',sock_path,'--save','','--appendonly','no','--dir',workdir],stdout=subprocess.DEVNULL)
for _ in range(100):
    if os.path.exists(sock_path): break
    time.sleep(0.05)
s=socket.socket(socket.AF_UNIX); s.connect(sock_path); f=s.makefile('rb')
def enc(args):
    out=[b'*%d\r\n'%len(args)]
    for a in args:
        a=a if isinstance(a,bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n'%(len(a),a))
    return b''.join(out)
def read():
    line=f.readline()
    t=line[:1]
    if t in b'+-:': return line[1:-2]
    if t==b'$':
        n=int(line[1:-2]); 
        if n<0: return None
        d=f.read(n+2); return d[:-2]
    if t==b'*':
        n=int(line[1:-2]); return [read() for _ in range(n)]
def cmd(*a):
    s.sendall(enc(a)); return read()
def load(path):
    r=cmd('FUNCTION','LOAD','REPLACE',open(path,'rb').read()); assert not (isinstance(r,bytes) and r.startswith(b'ERR')), r
M=100000
def call_args(first, n_groups, per, now, prefix='hb', connections='0'):
    a=['FCALL','presence_heartbeat_groups','0','','100000','10000','60000','1']
    for g in range(n_groups):
        a += [str(now), 'n1', '0', str(per)]
        for j in range(per):
            a += ['%s-%d'%(prefix, (first+g*per+j)%M), connections]
    return a
now=int(time.time()*1000)
load(sources['old'])
# make everyone ONLINE
for b in range(0, M, 1000):
    cmd(*call_args(b, 2, 500, now))
results={'old':[], 'new':[]}
cmd('ZADD', 'presence:nodes', str(now + 3600000), 'n1')  # the node holding the connections
calls=[call_args(b, 2, 500, now) for b in range(0, 200000, 1000)]
payloads=[enc(c) for c in calls]
for rnd in range(rounds):
    for name in ('old','new') if rnd%2==0 else ('new','old'):
        load(sources[name])
        if first_heartbeats:
            payloads=[enc(call_args(b, 2, 500, now, 'r%d%s'%(rnd, name), '1')) for b in range(0, M, 1000)]
        t=time.perf_counter()
        for pl in payloads:
            s.sendall(pl)
        for pl in payloads:
            read()
        dt=time.perf_counter()-t
        results[name].append(len(payloads)*1000/dt)
for k,v in results.items(): print(k, sources[k], 'first heartbeats/s' if first_heartbeats else 'renewals/s', ['%.0f'%x for x in v], 'median %.0f'%sorted(v)[len(v)//2])
p.terminate()
