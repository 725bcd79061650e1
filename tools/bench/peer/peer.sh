#!/usr/bin/env bash
# peer.sh: dfemu beside the host's own kernel on the same two workloads.
#
#   bench-faults: 3 processes x 32M, each map, write, verify, unmap 10 times (zero-fill faults)
#   bench-swap:   3 processes x 192M on 128M of memory with 1G of swap (every page goes out and in)
#
# The Linux side is workload.c, run in a memory cgroup limited to 128M (cgroup v2 memory.max and
# memory.swap.max; where the memory controller is bound to a cgroup v1 hierarchy instead,
# memory.limit_in_bytes and memory.memsw.limit_in_bytes) with a 1G swap file. The dfemu side is
# `tools/dfemu boot disk-images/bench-*.img`, whose stderr line gives the host CPU of the whole
# command. Both figures are host CPU: per fault, and per page moved through swap
# (Linux: pswpin + pswpout; dfemu: v_swappgsin + v_swappgsout).
#
# Usage (as root): tools/bench/peer/peer.sh [--repeat N] [--only faults|swap] [--no-dfemu]
#                                           [--swapfile PATH]
# Everything it changes (the cgroup, controllers enabled in the parent, the swap file and its
# swapon) is put back on exit, also on error or Ctrl-C. If the host refuses a memory limit or
# swapon of a file, it says so in one line and runs what it can (the fault workload without a
# limit); the swap workload is then skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
repeat=3
only=all
run_dfemu=1
swapfile=/var/tmp/dfemu-peer.swap
MEM_LIMIT=$((128 << 20))
SWAP_SIZE=$((1024 << 20))

die() { echo "peer.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) [ $# -ge 2 ] || die "--repeat needs a number"; repeat=$2; shift 2 ;;
    --only) [ $# -ge 2 ] || die "--only needs faults or swap"; only=$2; shift 2 ;;
    --no-dfemu) run_dfemu=0; shift ;;
    --swapfile) [ $# -ge 2 ] || die "--swapfile needs a path"; swapfile=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$repeat" in ''|*[!0-9]*|0) die "--repeat $repeat is not a number 1..99" ;; esac
[ "$repeat" -le 99 ] || die "--repeat $repeat is not a number 1..99"
case "$only" in all|faults|swap) ;; *) die "--only $only is not faults or swap" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (a memory cgroup and swapon); run it with sudo"
command -v cc >/dev/null || die "needs a C compiler (cc)"

# ---- what to put back ---------------------------------------------------------------------------
work=$(mktemp -d /tmp/dfemu-peer.XXXXXX)
cgroup=""            # the cgroup directory we made
subtree_undo=""      # a cgroup.subtree_control file where we enabled +memory
swap_on=0            # 1 once our swap file is on
swap_made=0          # 1 once we created the swap file

cleanup() {
  set +e
  if [ -n "$cgroup" ] && [ -d "$cgroup" ]; then
    # A workload left behind by Ctrl-C: kill it, or the cgroup cannot go.
    for pid in $(cat "$cgroup/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cgroup" 2>/dev/null && break; sleep 0.2; done
    [ -d "$cgroup" ] && echo "peer.sh: could not remove $cgroup" >&2
  fi
  if [ -n "$subtree_undo" ]; then echo "-memory" > "$subtree_undo" 2>/dev/null; fi
  if [ "$swap_on" = 1 ]; then swapoff "$swapfile" || echo "peer.sh: swapoff $swapfile failed" >&2; fi
  if [ "$swap_made" = 1 ]; then rm -f "$swapfile"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -o "$work/workload" "$here/workload.c"

# ---- the memory cgroup ----------------------------------------------------------------------------
# Sets cgroup (and cg_kind v2|v1) or prints why not and leaves cgroup empty.
cg_kind=""
cg_why=""
setup_cgroup() {
  local v2 v1 dir err
  v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  if [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers" 2>/dev/null; then
    if ! grep -qw memory "$v2/cgroup.subtree_control"; then
      if ! err=$(echo "+memory" 2>&1 > "$v2/cgroup.subtree_control"); then
        cg_why="cgroup v2 at $v2: enabling the memory controller failed: $err"; return
      fi
      subtree_undo="$v2/cgroup.subtree_control"
    fi
    dir="$v2/dfemu-peer.$$"
    if ! err=$(mkdir "$dir" 2>&1); then cg_why="cgroup v2: $err"; return; fi
    cgroup=$dir
    if ! err=$( { echo "$MEM_LIMIT" > "$dir/memory.max" && echo "$SWAP_SIZE" > "$dir/memory.swap.max"; } 2>&1); then
      cg_why="cgroup v2 at $v2: setting memory.max/memory.swap.max failed: $err"; return
    fi
    cg_kind=v2
    return
  fi
  v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
  if [ -z "$v1" ]; then
    cg_why="no memory cgroup: cgroup v2 ${v2:-(not mounted)} has controllers '$(cat "$v2/cgroup.controllers" 2>/dev/null)' and no v1 memory hierarchy is mounted"
    return
  fi
  dir="$v1/dfemu-peer.$$"
  if ! err=$(mkdir "$dir" 2>&1); then cg_why="cgroup v1 memory: $err"; return; fi
  cgroup=$dir
  if ! err=$(echo "$MEM_LIMIT" 2>&1 > "$dir/memory.limit_in_bytes"); then
    cg_why="cgroup v1 memory at $v1: setting memory.limit_in_bytes failed: $err"; return
  fi
  if [ -f "$dir/memory.memsw.limit_in_bytes" ]; then
    echo $((MEM_LIMIT + SWAP_SIZE)) > "$dir/memory.memsw.limit_in_bytes" 2>/dev/null || true
  fi
  cg_kind=v1
  echo "peer.sh: cgroup v2 ${v2:-(not mounted)} has no memory controller (controllers: '$(cat "$v2/cgroup.controllers" 2>/dev/null)'); using the cgroup v1 memory hierarchy at $v1 (memory.limit_in_bytes = 128M)" >&2
}

# ---- the swap file ----------------------------------------------------------------------------------
swap_why=""
setup_swap() {
  local err
  [ -e "$swapfile" ] && { swap_why="$swapfile exists already (not ours; give --swapfile)"; return; }
  swap_made=1
  if ! err=$( { fallocate -l "$SWAP_SIZE" "$swapfile" 2>/dev/null \
                || dd if=/dev/zero of="$swapfile" bs=1M count=$((SWAP_SIZE >> 20)) status=none; } 2>&1); then
    swap_why="cannot create $swapfile: $err"; return
  fi
  chmod 600 "$swapfile"
  if ! err=$(mkswap "$swapfile" 2>&1 >/dev/null); then swap_why="mkswap $swapfile: $err"; return; fi
  if ! err=$(swapon "$swapfile" 2>&1); then swap_why="swapon of a file is refused here: $err"; return; fi
  swap_on=1
}

setup_cgroup
[ -n "$cg_why" ] && echo "peer.sh: $cg_why; the swap workload cannot be limited to 128M and is skipped" >&2
if [ -n "$cg_kind" ] && [ "$only" != faults ]; then
  setup_swap
  [ -n "$swap_why" ] && echo "peer.sh: $swap_why; the swap workload is skipped" >&2
fi

# ---- runs ---------------------------------------------------------------------------------------------
# One line per run: "WORKLOAD SIDE CPU_NS FAULTS PAGES_MOVED"
results="$work/results"
: > "$results"

# linux WORKLOAD PROCS MIB PASSES LIMITED(0|1)
linux() {
  local line
  if [ "$5" = 1 ]; then
    line=$(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' _ "$cgroup" "$work/workload" "$2" "$3" "$4")
  else
    line=$("$work/workload" "$2" "$3" "$4")
  fi
  local cpu faults in out
  cpu=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' <<< "$line")
  faults=$(sed -n 's/.*faults=\([0-9]*\).*/\1/p' <<< "$line")
  in=$(sed -n 's/.*pswpin=\([0-9-]*\).*/\1/p' <<< "$line")
  out=$(sed -n 's/.*pswpout=\([0-9-]*\).*/\1/p' <<< "$line")
  echo "$1 linux $cpu $faults $((in + out))" >> "$results"
}

# dfemu WORKLOAD (image disk-images/WORKLOAD.img, built from its spec when missing or older)
dfemu() {
  local spec="$root/disk-images/$1.spec" img="$root/disk-images/$1.img" err line
  if [ ! -f "$img" ] || [ "$spec" -nt "$img" ]; then
    "$root/tools/dfemu" mkimage "$spec" -o "$img" --force >/dev/null
  fi
  err="$work/dfemu.err"
  if ! "$root/tools/dfemu" boot "$img" > "$work/dfemu.out" 2> "$err"; then
    echo "peer.sh: dfemu boot $img failed: $(tail -n 3 "$work/dfemu.out" "$err" | tr '\n' ' ')" >&2
    return 1
  fi
  line=$(grep '^host cpu:' "$err" | tail -n 1)
  # host cpu: 12.3 s; 42.1 us per fault (290000 faults); 81.0 us per page moved (150000 pages)
  local cpu faults moved
  cpu=$(awk '{ printf "%.0f", $3 * 1e9 }' <<< "$line")  # %d is 32-bit in mawk
  faults=$(sed -n 's/.*(\([0-9]*\) faults).*/\1/p' <<< "$line")
  moved=$(sed -n 's/.*(\([0-9]*\) pages).*/\1/p' <<< "$line")
  echo "$1 dfemu $cpu ${faults:-0} ${moved:-0}" >> "$results"
}

echo "peer.sh: $(uname -sr), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); $repeat run(s) per side" >&2
for r in $(seq 1 "$repeat"); do
  if [ "$only" != swap ]; then
    linux bench-faults 3 32 10 "$([ -n "$cg_kind" ] && echo 1 || echo 0)"
    [ "$run_dfemu" = 1 ] && dfemu bench-faults
  fi
  if [ "$only" != faults ] && [ "$swap_on" = 1 ]; then
    linux bench-swap 3 192 1 1
    [ "$run_dfemu" = 1 ] && dfemu bench-swap
  fi
  echo "peer.sh: round $r of $repeat done" >&2
done

# ---- the table ---------------------------------------------------------------------------------------
awk '
function med(a, n,   i, j, t) {   # median of a[1..n]
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
  key = $1 " " $2; n[key]++
  pf[key, n[key]] = $4 ? $3 / 1e3 / $4 : 0
  pm[key, n[key]] = $5 ? $3 / 1e3 / $5 : 0
  printf "%-13s %-6s host cpu %8.2f s  %9d faults %8.1f us/fault  %9d pages moved %8s us/page\n",
    $1, $2, $3 / 1e9, $4, pf[key, n[key]], $5, $5 ? sprintf("%.1f", pm[key, n[key]]) : "-"
}
END {
  print ""
  printf "%-13s %-22s %-22s %-22s %s\n", "workload", "figure (us host CPU)", "linux median (range)", "dfemu median (range)", "dfemu / linux"
  split("bench-faults bench-swap", ws, " ")
  for (w = 1; w <= 2; w++) for (f = 1; f <= 2; f++) {
    if (ws[w] == "bench-faults" && f == 2) continue
    fig = f == 1 ? "per fault" : "per page moved"
    for (s = 1; s <= 2; s++) {
      side = s == 1 ? "linux" : "dfemu"; key = ws[w] " " side; m = n[key]
      txt[s] = "-"; v[s] = 0
      if (m > 0) {
        lo = 1e18; hi = 0
        for (i = 1; i <= m; i++) { x = f == 1 ? pf[key, i] : pm[key, i]; a[i] = x; if (x < lo) lo = x; if (x > hi) hi = x }
        v[s] = med(a, m); txt[s] = sprintf("%.2f (%.2f-%.2f)", v[s], lo, hi)
      }
    }
    if (txt[1] == "-" && txt[2] == "-") continue
    printf "%-13s %-22s %-22s %-22s %s\n", ws[w], fig, txt[1], txt[2], (v[1] > 0 && v[2] > 0) ? sprintf("%.1f", v[2] / v[1]) : "-"
  }
}' "$results"
