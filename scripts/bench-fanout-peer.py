#!/usr/bin/env python3
"""Stream fan-out, Quai against Node `ws`, side by side in one run (issue 17).

usage: scripts/bench-fanout-peer.py PEERS [--connections 1000,10000]
           [--scenarios paced:20:500,burst:50:0] [--bytes 2048] [--runs 3]
           [--quai-no-wait] [--floor] [--rounds]

QUAI_FANOUT=/path runs another build of quai-fanout (to compare two builds).
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

With --floor a third side takes its turn after the two: `quai-fanout-floor`,
the least any server can do here (a blocking handshake, then one `write` of
the same bytes per connection in a plain loop on one thread; no runtime, no
queue). What it cannot reach under the same client, a real server will
hardly reach on this machine (docs/benchmarks.md, "The floor").

With --rounds every side runs under a copy of `ws-load` (built in
PEERS/ws-load-rounds) changed in one way: it also writes each measured
delivery's stamp and arrival to a file. The runner groups them by stamp (one
delta, one round to every client) and says where the worst 1 % are: the p99
of the deliveries of every round but the last, how many of the worst 1 % the
last round holds (the one during which the clients close, each once it has
read its last message), and whether the client reads the connections in the
same order from one round to the next (median rank correlation of their
arrivals in consecutive rounds: 1, the same order; 0, unrelated), or in the
same order started at another connection (the best such correlation over 40
starting points).
"""
import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
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


def rounds_client(peers):
    """A copy of ws-load that also writes every measured delivery (stamp and
    arrival, ns) to the file named by WSLOAD_DUMP; built once."""
    src = os.path.join(peers, "ws-load")
    dst = os.path.join(peers, "ws-load-rounds")
    binary = os.path.join(dst, "target", "release", "ws-load")
    source = os.path.join(src, "src", "main.rs")
    made = os.path.getmtime(binary) if os.path.exists(binary) else 0
    if made < max(os.path.getmtime(source), os.path.getmtime(os.path.abspath(__file__))):
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("target"))
        main_rs = os.path.join(dst, "src", "main.rs")
        with open(main_rs) as f:
            text = f.read()
        for old, new in [
            ("    latencies_ns: Vec<i64>,\n", "    latencies_ns: Vec<i64>,\n    pairs: Vec<(i128, i128)>,\n"),
            ("                    r.latencies_ns.push((recv - sent) as i64);\n",
             "                    r.latencies_ns.push((recv - sent) as i64);\n                    r.pairs.push((sent, recv));\n"),
            ("    let mut min_per_conn = u64::MAX;\n", "    let mut min_per_conn = u64::MAX;\n    let mut dump = String::new();\n"),
            ("        lat.extend(r.latencies_ns);\n",
             "        lat.extend(r.latencies_ns);\n        for (s, v) in &r.pairs { dump.push_str(&format!(\"{s} {v}\\n\")); }\n"
             "        dump.push('\\n');\n"),
            ("    lat.sort_unstable();\n",
             "    if let Ok(f) = std::env::var(\"WSLOAD_DUMP\") { let _ = std::fs::write(f, &dump); }\n    lat.sort_unstable();\n"),
        ]:
            if text.count(old) != 1:
                sys.exit(f"ws-load changed: cannot find {old.strip()!r} once in {main_rs}")
            text = text.replace(old, new)
        with open(main_rs, "w") as f:
            f.write(text)
        subprocess.run(["cargo", "build", "--release", "--manifest-path", os.path.join(dst, "Cargo.toml")],
                       env=dict(os.environ, CARGO_TARGET_DIR=os.path.join(dst, "target")), check=True)
    return binary


def rounds(path):
    """From a dump: p99 (ms) of every round but the last, the worst 1 % held
    by the last round, and the p99 of each round but the last (min, max)."""
    by = {}
    # Per connection (a block each, blank line after): stamp -> arrival.
    conns = [{}]
    with open(path) as f:
        for line in f:
            if not line.strip():
                conns.append({})
                continue
            sent, recv = line.split()
            by.setdefault(int(sent), []).append((int(recv) - int(sent)) / 1e6)
            conns[-1][int(sent)] = int(recv)
    if not by:
        raise RuntimeError(f"no delivery in {path}: the client measured nothing, or could not write it")
    def pct(v, q):
        return v[round((len(v) - 1) * q)]
    stamps = sorted(by)
    every = sorted(x for v in by.values() for x in v)
    worst = pct(every, 0.99)
    but_last = sorted(x for s in stamps[:-1] for x in by[s])
    per_round = [pct(sorted(by[s]), 0.99) for s in stamps[:-1]]
    # Whether the client reads the connections in the same order from one
    # round to the next: Spearman's rank correlation of their arrivals in two
    # consecutive rounds (1: same order; 0: unrelated), median over the rounds.
    def ranks(values):
        order = sorted(range(len(values)), key=values.__getitem__)
        r = [0] * len(values)
        for k, i in enumerate(order):
            r[i] = k
        return r
    # And whether it goes round the same circle from another starting point
    # (as a client that is still reading one round when the next arrives
    # does): the best rank correlation of the second round with the first's
    # order started at one of 40 points around it, median.
    same_order, circle = [], []
    for a, b in zip(stamps, stamps[1:]):
        both = [c for c in conns if a in c and b in c]
        if len(both) > 2:
            ra, rb = ranks([c[a] for c in both]), ranks([c[b] for c in both])
            n = len(both)
            d = sum((x - y) ** 2 for x, y in zip(ra, rb))
            same_order.append(1 - 6 * d / (n * (n * n - 1)))
            best = -1.0
            for cut in range(0, n, max(1, n // 40)):
                d = sum(((x - cut) % n - y) ** 2 for x, y in zip(ra, rb))
                best = max(best, 1 - 6 * d / (n * (n * n - 1)))
            circle.append(best)
    return {
        "same_order": round(statistics.median(same_order), 2) if same_order else None,
        "same_circle": round(statistics.median(circle), 2) if circle else None,
        "p99_but_last_ms": round(pct(but_last, 0.99), 1) if but_last else None,
        "worst_1pc_in_last": round(sum(1 for x in by[stamps[-1]] if x > worst)
                                   / max(1, sum(1 for x in every if x > worst)), 2),
        "round_p99_ms": [round(min(per_round), 1), round(max(per_round), 1)] if per_round else None,
    }


def one_run(server_cmd, cwd, load, n, msgs, interval, a):
    start_delay = 2000
    dump = None
    if a.rounds:
        fd, dump = tempfile.mkstemp(prefix="fanout-rounds-")
        os.close(fd)
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
            capture_output=True, text=True, timeout=a.max_run_s,
            env=dict(os.environ, WSLOAD_DUMP=dump) if dump else None)
        if client.returncode != 0:
            raise RuntimeError("ws-load failed: " + client.stderr[-2000:])
        result = last_json(client.stdout)
        if dump:
            result["rounds"] = rounds(dump)
        return result
    finally:
        if dump and os.path.exists(dump):
            os.unlink(dump)
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
    ap.add_argument("--floor", action="store_true",
                    help="a third side: quai-fanout-floor, one write per delivery and nothing else")
    ap.add_argument("--rounds", action="store_true",
                    help="every side under a copy of ws-load that dumps each delivery; where the worst 1 %% are")
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-p", "quai-tests", "--bin", "quai-fanout",
                    "--bin", "quai-fanout-floor"], cwd=ROOT, check=True)
    # QUAI_FANOUT=/path: another build of quai-fanout (to compare two).
    quai = [os.path.abspath(os.environ.get("QUAI_FANOUT") or os.path.join(target_dir(), "release", "quai-fanout"))] \
        + (["--no-wait"] if a.quai_no_wait else [])
    node_dir = os.path.join(a.peers, "ws-broadcast-node")
    load = os.path.join(a.peers, "ws-load", "target", "release", "ws-load")
    if a.rounds:
        load = rounds_client(a.peers)
    for path in (load, os.path.join(node_dir, "node_modules", "ws")):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `python3 {a.peers}/ws_broadcast_node --runs 1 --connections 10` once")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sides = [("quai", quai, ROOT), ("node", ["node", "server.mjs"], node_dir)]
    if a.floor:
        sides.append(("floor", [os.path.join(target_dir(), "release", "quai-fanout-floor"), "--threads", "1"], ROOT))
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
                          f"errors {c['errors']}; load {c['_load']:.2f}"
                          + (f"; rounds {c['rounds']}" if "rounds" in c else ""), file=sys.stderr, flush=True)
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
                    "client_cpu_s": med(r["client_cpu_s"] for r in rs),
                    "measured_min": min(r["measured_deliveries"] for r in rs),
                    "errors": sum(r["errors"] for r in rs),
                    "p99_runs": [r["latency_ms"]["p99"] for r in rs],
                    "rounds_runs": [r.get("rounds") for r in rs],
                }
            p = row["node"]
            for side, _, _ in sides:
                if side != "node":
                    q = row[side]
                    row["ratio" if side == "quai" else f"ratio_{side}"] = {
                        k: (round(q[k] / p[k], 2) if q[k] and p[k] else None)
                        for k in ("p50_ms", "p99_ms", "deliveries_per_s", "kib_per_idle_conn")}
            rows.append(row)
    print("| N | scenario | side | p50 ms | p99 ms (runs) | deliveries/s | KiB per idle conn |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        for side, _, _ in sides:
            s = r[side]
            print(f"| {r['connections']} | {r['scenario']} {r['messages']}x{r['interval_ms']}ms | {side} | {s['p50_ms']} | "
                  f"{s['p99_ms']} ({', '.join(str(x) for x in s['p99_runs'])}) | {s['deliveries_per_s']:.0f} | {s['kib_per_idle_conn']} |")
        for side, _, _ in sides:
            if side != "node":
                x = r["ratio" if side == "quai" else f"ratio_{side}"]
                print(f"| | | {side} / node | {x['p50_ms']} | {x['p99_ms']} | {x['deliveries_per_s']} | {x['kib_per_idle_conn']} |")
    if a.rounds:
        print()
        print("| N | scenario | side | p99 of every round but the last, ms (runs) | share of the worst 1 % in the last round (runs) "
              "| same reading order from round to round, median rank correlation (runs) "
              "| the same order started elsewhere, median of the best rank correlation (runs) |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            for side, _, _ in sides:
                rr = r[side]["rounds_runs"]
                print(f"| {r['connections']} | {r['scenario']} | {side} | {', '.join(str(x['p99_but_last_ms']) for x in rr)} | "
                      f"{', '.join(str(x['worst_1pc_in_last']) for x in rr)} | "
                      f"{', '.join(str(x['same_order']) for x in rr)} | "
                      f"{', '.join(str(x['same_circle']) for x in rr)} |")
    print(json.dumps({"tool": "bench-fanout-peer", "bytes": a.bytes, "runs": a.runs, "rows": rows}))


if __name__ == "__main__":
    main()
