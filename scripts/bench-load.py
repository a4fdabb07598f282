#!/usr/bin/env python3
"""Cold and warm load of a timetable, Quai beside its peers, in one run.

    scripts/bench-load.py [--runs 5] [--fixtures ../shared/fixtures]

For each feed (SNCF TER January 2025 and HART Tampa 2021, the largest timetables in
the fixtures), back to back:

- gtfs-kit `read_feed` (PyPI; timed inside Python, import left out);
- gtfs-structures `Gtfs::from_path` (`quai-gtfs-peer`, timed inside the process);
- Quai, cold: `feed-server` started with an empty cache, timed from the spawn to the
  first board answered over HTTP (process start, configuration, load, station index,
  bind and the request all included);
- Quai, warm: the same, started again with the cache the cold start left.

Peak RSS is the kernel's (`ru_maxrss` of each child; VmHWM for the server once it
has answered). Medians of `--runs`. gtfs-kit is installed in a virtual environment
under /tmp on first use; the Rust binaries must be built in release mode first
(`cargo build --release -p feed-server -p quai-tests`).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/cache/quai/target")
VENV = "/tmp/gtfskit-venv"
FEED_SERVER = os.environ.get("FEED_SERVER", os.path.join(TARGET, "release", "feed-server"))

# (name, path under the fixtures, a stop of a busy station, an instant the feed runs)
FEEDS = [
    ("SNCF TER 2025", "gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip",
     "StopArea:OCE87345561", "2025-02-03T07:30:00+01:00"),
    ("HART Tampa 2021", "gtfs/hart-tampa-2021/hart.zip",
     "6968", "2021-01-20T08:00:00-05:00"),
    # 28 stop times: what starting a server and answering costs, whatever the feed.
    ("Google sample feed", "gtfs/google-sample-feed/sample-feed.zip",
     "STAGECOACH", "2008-01-07T08:00:00-08:00"),
]


def gtfs_kit_python():
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "gtfs_kit"], check=True)
    return py


def run_measured(cmd):
    """Runs `cmd` through a fresh `python -c` wrapper that reports the child's own
    peak RSS, so that ru_maxrss is not the maximum over earlier children."""
    wrapper = (
        "import resource,subprocess,sys,json;"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "sys.stderr.write(p.stderr);"
        "print(json.dumps({'rc':p.returncode,'out':p.stdout,"
        "'peak_kib':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
    )
    out = subprocess.run([sys.executable, "-c", wrapper] + cmd,
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, RUST_BACKTRACE="0"))
    r = json.loads(out.stdout)
    if r["rc"] != 0:
        # A peer that cannot read a feed is a result too: printed as such.
        reason = [l.strip() for l in out.stderr.splitlines() if l.strip()]
        sys.stderr.write(f"{os.path.basename(cmd[0])} failed: {reason[-1] if reason else '?'}\n")
        return None, r["peak_kib"]
    return json.loads(r["out"].strip().splitlines()[-1]), r["peak_kib"]


def gtfs_kit(py, path):
    code = (
        "import time,json,sys,gtfs_kit;t=time.perf_counter();"
        "f=gtfs_kit.read_feed(sys.argv[1],dist_units='km');"
        "print(json.dumps({'seconds':time.perf_counter()-t,"
        "'stop_times':len(f.stop_times)}))"
    )
    return run_measured([py, "-c", code, path])


def gtfs_structures(path):
    return run_measured([os.path.join(TARGET, "release", "quai-gtfs-peer"), path])


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def quai(path, stop, now, data_dir):
    config = os.path.join(data_dir, "bench.toml")
    with open(config, "w") as f:
        f.write(
            f'[[feeds]]\nid = "bench"\ngtfs = "{path}"\n'
            f'[[stations]]\nid = "bench"\nname = "Bench"\nstops = {{ bench = ["{stop}"] }}\n'
        )
    env = dict(os.environ, RUST_LOG="warn")
    started = time.perf_counter()
    server = subprocess.Popen(
        [FEED_SERVER, "serve", "--config", config,
         "--listen", "127.0.0.1:0", "--now", now, "--data-dir", data_dir],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = server.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"feed-server did not start: {line!r}")
        url = line.split()[-1] + "/v1/stations/bench/board"
        while True:
            try:
                with urllib.request.urlopen(url) as r:
                    body = r.read()
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.001)
        seconds = time.perf_counter() - started
        departures = len(json.loads(body).get("departures", []))
        peak = vm(server.pid, "VmHWM")
        rss = vm(server.pid, "VmRSS")
        with urllib.request.urlopen(url.replace("/v1/stations/bench/board", "/metrics")) as r:
            metric = [l for l in r.read().decode().splitlines()
                      if l.startswith("quai_feed_stop_times{")]
        stop_times = int(metric[0].split()[-1]) if metric else 0
    finally:
        server.terminate()
        server.wait()
    return seconds, peak, rss, departures, stop_times


def median(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "..", "shared", "fixtures"))
    args = ap.parse_args()
    py = gtfs_kit_python()
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, load average "
          f"{os.getloadavg()[0]:.2f}, medians of {args.runs} runs")
    print("| feed | stop_times | gtfs-kit s | gtfs-structures s / peak MiB "
          "| Quai cold s / peak MiB / RSS after | Quai warm s / peak MiB "
          "| cold / gtfs-kit | peak / gtfs-structures | warm / cold |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rel, stop, now in FEEDS:
        path = os.path.abspath(os.path.join(args.fixtures, rel))
        kit, gs, cold, warm = [], [], [], []
        for _ in range(args.runs):
            (k, _) = gtfs_kit(py, path)
            if k:
                kit.append(k["seconds"])
            (g, g_peak) = gtfs_structures(path)
            if g:
                gs.append((g["seconds"], g_peak / 1024))
            with tempfile.TemporaryDirectory() as tmp:
                c = quai(path, stop, now, tmp)
                w = quai(path, stop, now, tmp)
            cold.append(c)
            warm.append(w)
            if c[3] == 0 or w[3] != c[3]:
                raise SystemExit(f"{name}: boards differ or are empty: {c[3]} / {w[3]}")
        stop_times = c[4]
        kit_s = median(kit) if kit else None
        gs_s = median([g[0] for g in gs]) if gs else None
        gs_peak = median([g[1] for g in gs]) if gs else None
        cold_s = median([c[0] for c in cold])
        cold_peak = median([c[1] for c in cold]) / 1024
        cold_rss = median([c[2] for c in cold]) / 1024
        warm_s = median([w[0] for w in warm])
        warm_peak = median([w[1] for w in warm]) / 1024
        fails = "cannot read it"
        kit_text = f"{kit_s:.3f}" if kit else fails
        gs_text = f"{gs_s:.3f} / {gs_peak:.0f}" if gs else fails
        print(f"| {name} | {stop_times:,} | {kit_text} | {gs_text} "
              f"| {cold_s:.3f} / {cold_peak:.0f} / {cold_rss:.0f} | {warm_s:.3f} / {warm_peak:.0f} "
              f"| {cold_s / kit_s if kit else float('nan'):.2f} "
              f"| {cold_peak / gs_peak if gs else float('nan'):.2f} | {warm_s / cold_s:.3f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
