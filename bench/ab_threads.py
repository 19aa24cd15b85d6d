#!/usr/bin/env python3
"""A/B of `trailhound scan --cis` binaries with 1 and 2 threads, for a shared machine.

    bench/ab_threads.py [--rounds N] [--max-other F] FILE LABEL=BINARY...

Each round runs every binary with --threads 1 and --threads 2 on FILE (the order reversed
every other round) and records the wall time, the CPU time (user + sys), the scan phase
(the JSON report's `seconds`, before the alarm replay) and the share of the CPUs other
processes used during the run (/proc/stat minus the run's own CPU time). Runs during which
other work used more than --max-other (default 0.10) are left out of the medians, so the
figures hold while other sessions come and go. A BINARY may be preceded by NAME=VALUE
environment settings, separated by commas: `r1m=TRAILHOUND_SCAN_RANGE_BYTES=1048576,build/trailhound`.
Prints every run as CSV on standard error and a markdown summary on standard output.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def cpu_ticks():
    """(all ticks, idle ticks) of the machine so far."""
    with open("/proc/stat") as stat:
        values = [int(field) for field in stat.readline().split()[1:]]
    return sum(values[:8]), values[3] + values[4]


def run_once(binary, environment, threads, path):
    arguments = [binary, "scan", "--cis", "--format", "json", "--threads", str(threads), path]
    total_before, idle_before = cpu_ticks()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env={**os.environ, **environment}, check=True)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total_after, idle_after = cpu_ticks()
    own = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    ticks = os.sysconf("SC_CLK_TCK")
    total = (total_after - total_before) / ticks
    busy = total - (idle_after - idle_before) / ticks
    other = max(0.0, busy - own) / total if total > 0 else 0.0
    scan = json.loads(done.stdout)["seconds"]
    return {"wall": wall, "cpu": own, "scan": scan, "other": other}


def parse_binary(spec):
    label, _, rest = spec.partition("=")
    *settings, binary = rest.split(",")
    return label, binary, dict(setting.split("=", 1) for setting in settings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--max-other", type=float, default=0.10)
    parser.add_argument("file")
    parser.add_argument("binaries", nargs="+", metavar="LABEL=BINARY")
    options = parser.parse_args()
    binaries = [parse_binary(spec) for spec in options.binaries]
    subprocess.run(["cat", options.file], stdout=subprocess.DEVNULL, check=True)
    runs = {}
    for round_number in range(options.rounds):
        order = [(binary, threads) for binary in binaries for threads in (1, 2)]
        for (label, binary, environment), threads in order[::1 if round_number % 2 == 0 else -1]:
            result = run_once(binary, environment, threads, options.file)
            print(f"{label},{threads},{result['wall']:.4f},{result['cpu']:.4f},"
                  f"{result['scan']:.4f},{result['other']:.3f}", file=sys.stderr, flush=True)
            if result["other"] <= options.max_other:
                runs.setdefault((label, threads), []).append(result)
    megabytes = os.path.getsize(options.file) / 1e6
    print(f"Runs with other work at most {options.max_other:.0%} of the CPUs; medians.\n")
    print("| binary | threads | runs | scan phase (s) | MB/s | whole run (s) | CPU (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for (label, threads), kept in sorted(runs.items()):
        median = {key: statistics.median(run[key] for run in kept) for key in kept[0]}
        medians[(label, threads)] = median
        print(f"| {label} | {threads} | {len(kept)} | {median['scan']:.4f} | "
              f"{megabytes / median['scan']:.0f} | {median['wall']:.3f} | {median['cpu']:.3f} |")
    print("\n| binary | scan phase, 2 threads / 1 | whole run, 2 threads / 1 |")
    print("|---|---:|---:|")
    for label, _, _ in binaries:
        if (label, 1) in medians and (label, 2) in medians:
            one, two = medians[(label, 1)], medians[(label, 2)]
            print(f"| {label} | {one['scan'] / two['scan']:.2f}× | {one['wall'] / two['wall']:.2f}× |")


if __name__ == "__main__":
    main()
