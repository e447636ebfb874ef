#!/usr/bin/env python3
"""Where a relay benchmark's tail waits: CPU run and scheduler-wait figures per thread, from `perf sched timehist`.

    perf sched record -k CLOCK_MONOTONIC -a -o sched.data -- sleep 6     # during a measured window
    perf sched timehist -i sched.data > timehist.txt
    bench/scripts/sched-waits.py timehist.txt [--tail TAIL.tsv] [--slow-ms 2]

Prints, per thread name (threads of the same name summed: both nodes' event loops are one line), the number of times
it ran, its CPU, its run time per wake-up and its scheduler delay (runnable -> running) at p50/p90/p99/max. Then
every wait over 1 ms, classified by what the CPUs did meanwhile:

- "own CPU idle": the CPU the thread was queued on was idle for most of the wait (a virtual CPU that did not come
  back: the hypervisor, not the guest's load);
- "other CPU idle": its CPU was busy but another one was idle for most of the wait (the guest's scheduler left it
  queued behind the thread that woke it);
- "all busy": every CPU ran something else (a real lack of CPU).

With --tail (the file a run writes under BENCH_TAIL_LOG: receive time in us of CLOCK_MONOTONIC, latency in us, client
index), the messages slower than --slow-ms are grouped into bursts (arrivals less than 3 ms apart) and each burst is
checked for a wait over 1 ms of any thread that ended in the 6 ms before it: the share of slow messages that such a
wait explains; only the part of the trace the file spans is read, so one trace can hold several windows (one per
target). perf's clock must then be CLOCK_MONOTONIC (-k), the clock of System.nanoTime().
"""
import argparse
import collections
import sys


def parse(path):
    idle = collections.defaultdict(list)  # cpu -> [(start, end)] seconds
    runs = []  # (end, cpu, name, sched_delay_ms, run_ms)
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or not fields[1].startswith('['):
                continue
            try:
                t = float(fields[0])
                wait_ms, delay_ms, run_ms = (float(x) for x in fields[-3:])
            except ValueError:
                continue
            cpu = fields[1]
            name = ' '.join(fields[2:-3])
            if name == '<idle>':
                idle[cpu].append((t - run_ms / 1000, t))
            else:
                runs.append((t, cpu, name.split('[')[0], delay_ms, run_ms))
    return idle, runs


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float('nan')


def overlap(intervals, start, end):
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e in intervals)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('timehist')
    ap.add_argument('--tail')
    ap.add_argument('--slow-ms', type=float, default=2.0)
    ap.add_argument('--long-wait-ms', type=float, default=1.0)
    args = ap.parse_args()
    idle, runs = parse(args.timehist)
    if args.tail:  # only the part of the trace that the window's slow messages span
        with open(args.tail) as f:
            times = [int(line.split()[0]) / 1e6 for line in f if line.strip()]
        if times:
            lo, hi = min(times) - 1.0, max(times)
            runs = [r for r in runs if lo <= r[0] <= hi]
            idle = {c: [(s, e) for s, e in v if lo <= e <= hi] for c, v in idle.items()}
    if not runs:
        sys.exit('no thread runs in ' + args.timehist)
    span = max(r[0] for r in runs) - min(r[0] for r in runs)
    by_name = collections.defaultdict(list)
    for r in runs:
        by_name[r[2]].append(r)
    print(f'{span:.1f} s traced on {len(idle)} CPUs')
    print(f'{"thread":18s} {"runs":>6s} {"CPU ms":>8s}  run ms p50/p99/max       wait ms p50/p90/p99/max')
    for name in sorted(by_name, key=lambda n: -sum(r[4] for r in by_name[n]))[:12]:
        rs = by_name[name]
        run = [r[4] for r in rs]
        delay = [r[3] for r in rs]
        print(f'{name[:18]:18s} {len(rs):6d} {sum(run):8.1f}  {pct(run, .5):.3f}/{pct(run, .99):.3f}/{max(run):.3f}'
              f'   {pct(delay, .5):.3f}/{pct(delay, .9):.3f}/{pct(delay, .99):.3f}/{max(delay):.3f}')
    long_waits = []  # (start, end, name, kind)
    kinds = collections.Counter()
    for end, cpu, name, delay_ms, run_ms in runs:
        if delay_ms <= args.long_wait_ms:
            continue
        w_end = end - run_ms / 1000
        w_start = w_end - delay_ms / 1000
        own = overlap(idle[cpu], w_start, w_end)
        other = max((overlap(idle[c], w_start, w_end) for c in idle if c != cpu), default=0.0)
        half = delay_ms / 2000
        kind = 'own CPU idle' if own >= half else 'other CPU idle' if other >= half else 'all busy'
        kinds[name, kind] += 1
        long_waits.append((w_start, w_end, name, kind))
    print(f'\nwaits over {args.long_wait_ms:g} ms, by what the CPUs did meanwhile:')
    for name in sorted({n for n, _ in kinds}):
        parts = ', '.join(f'{k} {kinds[name, k]}' for k in ('own CPU idle', 'other CPU idle', 'all busy')
                          if kinds[name, k])
        print(f'  {name[:18]:18s} {parts}')
    total = collections.Counter(k for (_, k), n in kinds.items() for _ in range(n))
    print('  all threads: ' + ', '.join(f'{k} {v}' for k, v in total.most_common()))
    if args.tail:
        lo = min(r[0] for r in runs)
        hi = max(r[0] for r in runs)
        slow = []
        with open(args.tail) as f:
            for line in f:
                t_us, lat_us, _ = line.split()
                t = int(t_us) / 1e6
                if int(lat_us) >= args.slow_ms * 1000 and lo + 0.01 < t < hi:
                    slow.append(t)
        slow.sort()
        bursts = []
        for t in slow:
            if bursts and t - bursts[-1][-1] < 0.003:
                bursts[-1].append(t)
            else:
                bursts.append([t])
        explained = 0
        for b in bursts:
            if any(b[0] - 0.006 <= w_end <= b[-1] for _, w_end, _, _ in long_waits):
                explained += len(b)
        print(f'\n{len(slow)} messages slower than {args.slow_ms:g} ms in the traced span, in {len(bursts)} bursts;'
              f' {explained} ({100.0 * explained / max(1, len(slow)):.0f}%) in bursts that a wait over'
              f' {args.long_wait_ms:g} ms ended just before')


if __name__ == '__main__':
    main()
