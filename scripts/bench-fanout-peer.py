#!/usr/bin/env python3
"""Stream fan-out, Quai against Node `ws`, side by side in one run (issue 17).

usage: scripts/bench-fanout-peer.py PEERS [--connections 1000,10000]
           [--scenarios paced:20:500,burst:50:0] [--bytes 2048] [--runs 3]
           [--quai-no-wait]

PEERS is a writable copy of ../shared/peers (its ws-load built, its Node
server's modules installed: `python3 PEERS/ws_broadcast_node --runs 1
--connections 10` does both). For each connection count, scenario and run, the
two servers take turns, Quai first: Quai's `quai-fanout` (the server's accept
loop, hub and stream under a synthetic publisher, built here in release) and
the peer's `ws-broadcast-node/server.mjs`, each started alone on 127.0.0.1 with
the same arguments, under the same `ws-load` command: N clients subscribe,
then M deltas of --bytes bytes go out, INTERVAL_MS apart (0: back to back).
Prints one line per run and a table of medians with the ratios Quai / Node;
the last line is JSON. Results are recorded by hand in docs/benchmarks.md.
"""
import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def target_dir():
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(meta.stdout)["target_directory"]


def stop(p, grace=5.0):
    if p.poll() is not None:
        return
    try:
        os.kill(p.pid, signal.SIGTERM)
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    except ProcessLookupError:
        pass


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON line in: " + text[-2000:])


def one_run(server_cmd, cwd, load, n, msgs, interval, a):
    start_delay = 2000
    cmd = server_cmd + ["--port", "0", "--bytes", str(a.bytes), "--count", str(msgs),
                        "--interval-ms", str(interval), "--wait-clients", str(n),
                        "--start-delay-ms", str(start_delay), "--max-run-s", str(a.max_run_s)]
    srv = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = srv.stdout.readline()
        if not first:
            raise RuntimeError("server did not start: " + srv.stderr.read()[-2000:])
        port = json.loads(first)["port"]
        duration = min(a.max_run_s - 10, 30 + msgs * max(interval, 20) / 1000 * 3)
        client = subprocess.run(
            [load, "--url", f"ws://127.0.0.1:{port}/v1/stream", "--connections", str(n),
             "--messages", str(msgs), "--subscribe", '{"op":"subscribe","station":"caudry"}',
             "--field", "server_time,sent_at_ns", "--duration-s", str(duration),
             "--connect-timeout-s", "60", "--settle-ms", str(start_delay // 2),
             "--server-pid", str(srv.pid), "--threads", "1"],
            capture_output=True, text=True, timeout=a.max_run_s)
        if client.returncode != 0:
            raise RuntimeError("ws-load failed: " + client.stderr[-2000:])
        return last_json(client.stdout)
    finally:
        stop(srv)


def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("peers")
    ap.add_argument("--connections", default="1000,10000")
    ap.add_argument("--scenarios", default="paced:20:500,burst:50:0")
    ap.add_argument("--bytes", type=int, default=2048)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-run-s", type=int, default=300)
    ap.add_argument("--quai-no-wait", action="store_true",
                    help="back to back without waiting for the last delta to reach the sockets (quai-fanout --no-wait)")
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-p", "quai-tests", "--bin", "quai-fanout"],
                   cwd=ROOT, check=True)
    quai = [os.path.join(target_dir(), "release", "quai-fanout")] + (["--no-wait"] if a.quai_no_wait else [])
    node_dir = os.path.join(a.peers, "ws-broadcast-node")
    load = os.path.join(a.peers, "ws-load", "target", "release", "ws-load")
    for path in (load, os.path.join(node_dir, "node_modules", "ws")):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `python3 {a.peers}/ws_broadcast_node --runs 1 --connections 10` once")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sides = [("quai", quai, ROOT), ("node", ["node", "server.mjs"], node_dir)]
    rows = []
    for n in [int(x) for x in a.connections.split(",")]:
        for sc in a.scenarios.split(","):
            name, msgs, interval = sc.split(":")
            msgs, interval = int(msgs), int(interval)
            runs = {side: [] for side, _, _ in sides}
            for i in range(a.runs):
                for side, cmd, cwd in sides:
                    c = one_run(cmd, cwd, load, n, msgs, interval, a)
                    c["_load"] = os.getloadavg()[0]
                    runs[side].append(c)
                    print(f"N={n} {name} run {i + 1}/{a.runs} {side}: up {c['connections_up']}, "
                          f"p50 {c['latency_ms']['p50']} ms, p99 {c['latency_ms']['p99']} ms, "
                          f"max {c['latency_ms']['max']} ms, {c['deliveries_per_s']:.0f} deliveries/s, "
                          f"{c['server_rss_per_idle_conn_kib']} KiB/conn, measured {c['measured_deliveries']}/{n * msgs}, "
                          f"errors {c['errors']}; load {c['_load']:.2f}", file=sys.stderr, flush=True)
                    time.sleep(1)
            row = {"connections": n, "scenario": name, "messages": msgs, "interval_ms": interval}
            for side, _, _ in sides:
                rs = runs[side]
                row[side] = {
                    "p50_ms": med(r["latency_ms"]["p50"] for r in rs),
                    "p99_ms": med(r["latency_ms"]["p99"] for r in rs),
                    "max_ms": med(r["latency_ms"]["max"] for r in rs),
                    "deliveries_per_s": med(r["deliveries_per_s"] for r in rs),
                    "kib_per_idle_conn": med(r["server_rss_per_idle_conn_kib"] for r in rs),
                    "server_cpu_s": med(r["server_cpu_s"] for r in rs),
                    "measured_min": min(r["measured_deliveries"] for r in rs),
                    "errors": sum(r["errors"] for r in rs),
                    "p99_runs": [r["latency_ms"]["p99"] for r in rs],
                }
            q, p = row["quai"], row["node"]
            row["ratio"] = {k: (round(q[k] / p[k], 2) if q[k] and p[k] else None)
                            for k in ("p50_ms", "p99_ms", "deliveries_per_s", "kib_per_idle_conn")}
            rows.append(row)
    print("| N | scenario | side | p50 ms | p99 ms (runs) | deliveries/s | KiB per idle conn |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        for side in ("quai", "node"):
            s = r[side]
            print(f"| {r['connections']} | {r['scenario']} {r['messages']}x{r['interval_ms']}ms | {side} | {s['p50_ms']} | "
                  f"{s['p99_ms']} ({', '.join(str(x) for x in s['p99_runs'])}) | {s['deliveries_per_s']:.0f} | {s['kib_per_idle_conn']} |")
        x = r["ratio"]
        print(f"| | | quai / node | {x['p50_ms']} | {x['p99_ms']} | {x['deliveries_per_s']} | {x['kib_per_idle_conn']} |")
    print(json.dumps({"tool": "bench-fanout-peer", "bytes": a.bytes, "runs": a.runs, "rows": rows}))


if __name__ == "__main__":
    main()
