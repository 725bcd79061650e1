#!/usr/bin/env python3
"""Prints the markdown tables of docs/swapmeta.md for one scenario from its sweeps' JSON.

usage: python3 docs/swapmeta/tables.py SCENARIO.img FILE.json[.gz] ...

The files are `dfemu sweep --json` reports (gzipped or not) of the same image; their variants are
printed in the order given. Nothing here interprets a run: every figure is a field of the JSON
(outcome, counters, reclaim sites, console tail) counted or summed.
"""
import collections
import gzip
import json
import re
import sys

COUNTERS = [
    ('zalloc_prefill_items', 'prefill'), ('zget_calls', 'zget'), ('zget_low_pages', 'zget low'),
    ('zget_interrupt_pages', 'zget intr'), ('zfreemin_handouts', 'zfreemin'), ('zget_failures', 'zget fail'),
    ('reserve_takes', 'takes'), ('reserve_refills', 'refills'), ('reserve_refill_failures', 'refill fail'),
    ('blocking_slab_allocs', 'blocking'), ('pageout_vm_waits', 'pageout vm_wait'),
    ('map_entry_reserve_waits', 'map entry waits'), ('kernel_map_lock_waits', 'map lock waits'),
    ('kva_failures', 'kva fail'), ('ptp_allocs_in_pageout', 'ptp in pageout'), ('pv_low_allocs', 'pv low'),
    ('nowait_slab_allocs', 'nowait allocs'), ('nowait_slab_failures', 'nowait fail'),
    ('pageout_meta_deferrals', 'deferrals'),
]
PAGEOUT_PREFIX = ('pageout path may block: vm_pageout_scan_inactive -> vm_pageout_clean_helper -> '
                  'vm_pageout_flush -> swap_pager_putpages -> swp_pager_meta_build -> ')


def load(path):
    opener = gzip.open if open(path, 'rb').read(2) == b'\x1f\x8b' else open
    with opener(path, 'rt') as f:
        return json.load(f)


def label(v):
    s = v['settings']
    extra = [f"{k.split('.')[-1].replace('kmalloc_obj_reserve_', '')}={x}" for k, x in s.items()
             if k not in ('vm.swapmeta_alloc',) and not k.startswith('machine.cpu_')]
    if any(k.startswith('machine.cpu_') for k in s):
        extra.append('cost 0')
    return s.get('vm.swapmeta_alloc', '?') + (' ' + ' '.join(extra) if extra else '')


def seeds(xs, most=12):
    xs = sorted(xs)
    text = ', '.join(str(x) for x in xs[:most])
    return text + (f' and {len(xs) - most} more' if len(xs) > most else '')


def pagedaemon_chain(run):
    """The pagedaemon's line of the deadlock report's "who could free memory", shortened."""
    for line in run.get('consoleTail') or []:
        line = line.strip()
        if line.startswith('pagedaemon: '):
            line = line[len('pagedaemon: '):]
            line = re.sub(r' \(wchan [^)]*\)', '', line)
            line = re.sub(r'timeout at [0-9.]+ s', '', line)
            return line.replace('blocked, it needs free pages itself: ', '')
    return '(no pagedaemon line)'


def main(image, files):
    variants = []
    for f in files:
        d = load(f)
        for v in d['variants']:
            variants.append((v, [r for r in d['runs'] if r['variant'] == v['variant']], d))
    # zalloc's outcome per seed, when zalloc is among the variants: the "failed where zalloc did not" column.
    zalloc_ok = {r['seed']: r['outcome'] == 'OK' for v, runs, _ in variants if label(v) == 'zalloc' for r in runs}
    print('| variant | runs | ok | deadlock/livelock | panic | data loss | OOM kills | stopped at --time | lowest free |'
          ' failed where zalloc (same seed) was ok |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for v, runs, d in variants:
        at_time = sum(1 for r in runs if r['outcome'] == 'OK' and r.get('stillRunning', 0) > 0)
        worse = [r['seed'] for r in runs if r['outcome'] != 'OK' and zalloc_ok.get(r['seed'])]
        worse_text = '-' if not zalloc_ok else str(len(worse))
        print(f"| `{label(v)}` | {v['runs']} | {v['ok']} | {v['deadlocks']} | {v['panics']} | {v['dataLoss']} | "
              f"{v['oomKills']} | {at_time} | {v['freeLow']} | {worse_text} |")
    print()
    nonzero = [(k, a) for k, a in COUNTERS if any(v['swapmetaPaths'].get(k, 0) for v, _, _ in variants)]
    if nonzero:
        print('Path counters summed over the runs (`debug.swapmeta.*`, only those nonzero somewhere):')
        print()
        print('| variant | ' + ' | '.join(a for _, a in nonzero) + ' |')
        print('|---|' + '---|' * len(nonzero))
        for v, _, _ in variants:
            print(f"| `{label(v)}` | " + ' | '.join(str(v['swapmetaPaths'].get(k, 0)) for k, _ in nonzero) + ' |')
        print()
    for v, runs, d in variants:
        groups = collections.OrderedDict()
        for r in runs:
            if r['outcome'] == 'OK':
                continue
            groups.setdefault((r['outcome'].lower(), pagedaemon_chain(r)), []).append(r)
        for (outcome, chain), rs in groups.items():
            first = rs[0]
            print(f"- `{label(v)}`, {len(rs)} of {v['runs']} {outcome} (seeds {seeds(r['seed'] for r in rs)}); "
                  f"pagedaemon: {chain}. Reproduce: `{first['reproduce'].replace(d['image'], image)}`")
    sites = collections.OrderedDict()
    for v, _, _ in variants:
        for s, n in (v.get('reclaimSites') or {}).items():
            short = s[len(PAGEOUT_PREFIX):] if s.startswith(PAGEOUT_PREFIX) else s
            sites.setdefault(short, []).append(f"{label(v)} {n}/{v['runs']}")
    if sites:
        print()
        print('Reclaim check sites (under `' + PAGEOUT_PREFIX[len('pageout path may block: '):-4]
              + '` unless they say otherwise), with the runs that found each:')
        print()
        for s, vs in sites.items():
            print(f"- `{s}`: {', '.join(vs)}")


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
