#!/usr/bin/env bash
# tools/bench/profile.sh [OUTDIR]: the profile tables of docs/profile.md.
#
# Records two JFR execution profiles and groups their samples with tools/bench/JfrGroups.java:
#   sweep      12 seeds of swapmeta-pressure (kmalloc_obj_reserve) in one JVM, --jobs 2, as a
#              user sweeps; its "runs per host-core-second" line is printed too;
#   zero-fill  one dfemu boot of a 64M machine whose process maps 32M, writes every page and
#              unmaps it, 40 times (PagingBenchmark's steady zero-fill workload, 327,680 faults).
# For each it counts the faults (v_vm_faults of a boot) and the scheduler's hand-offs (context
# switches of the same boot traced with --trace-events sched; a trace never changes a run), to
# give heap bytes per fault and per hand-off. Last, `dfemu bench SchedulerBenchmark --quick`
# measures what one hand-off and one lock pair cost on their own.
# Takes about 4 minutes on the 2-core reference machine. Recordings and logs stay in OUTDIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-/tmp/dfemu-profile}
mkdir -p "$out"
dfemu="$root/tools/dfemu"

java=""
for cand in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*; do
  [ -x "$cand/bin/java" ] || continue
  v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  case "$v" in ''|1.*|*[!0-9]*) continue ;; esac
  if [ "$v" -ge 25 ]; then java="$cand/bin/java"; break; fi
done
[ -n "$java" ] || { echo "profile.sh: no JDK 25 or newer found (set JAVA_HOME)" >&2; exit 2; }

jfr() {  # the recording options for file $1: the profile settings, sampling every 5 ms, CPU by thread every second
  echo "-XX:StartFlightRecording=filename=$1,settings=profile,jdk.ExecutionSample#period=5ms,jdk.ThreadCPULoad#period=1s"
}
counter() { sed -n "s/^$1 *\([0-9]*\)$/\1/p" "$2"; }
switches() { "$dfemu" trace summary "$1" | sed -n 's/^scheduler: \([0-9]*\) context switches.*/\1/p'; }

echo "== sweep: 12 seeds of swapmeta-pressure, kmalloc_obj_reserve, --jobs 2 (JFR on)"
"$dfemu" mkimage "$root/disk-images/swapmeta-pressure.spec" -o "$out/pressure.img" >/dev/null
DFEMU_JAVA_OPTS="$(jfr "$out/sweep.jfr")" "$dfemu" sweep "$out/pressure.img" --seeds 1..12 \
  -e vm.swapmeta_alloc=kmalloc_obj_reserve --jobs 2 --no-progress >"$out/sweep.out" 2>"$out/sweep.err" || true
grep 'runs per host-core-second' "$out/sweep.err"
faults=0; handoffs=0
for seed in $(seq 1 12); do
  "$dfemu" boot "$out/pressure.img" --seed "$seed" -e vm.swapmeta_alloc=kmalloc_obj_reserve \
    --trace "$out/seed.trace" --trace-events sched >"$out/seed.out" 2>&1 || true
  faults=$((faults + $(counter v_vm_faults "$out/seed.out")))
  handoffs=$((handoffs + $(switches "$out/seed.trace")))
done
rm -f "$out/seed.trace"
echo "12 runs: $faults faults, $handoffs hand-offs ($((handoffs / 12)) per run)"
"$java" "$here/JfrGroups.java" "$out/sweep.jfr" "$faults" "$handoffs"

echo
echo "== zero-fill: 40 x (map 32M, write every page, unmap) on a 64M machine, one boot (JFR on)"
cat >"$out/zero-fill.spec" <<'EOF'
setting hw.physmem=64M
setting hw.ncpu=1
program zf copies 1
  loop 40
    map r0 32M rw
    touch r0 seq write
    unmap r0
  endloop
  exit
end
EOF
"$dfemu" mkimage "$out/zero-fill.spec" -o "$out/zero-fill.img" >/dev/null
/usr/bin/time -f '%U %S' -o "$out/zf.time" env DFEMU_JAVA_OPTS="$(jfr "$out/zero-fill.jfr")" \
  "$dfemu" boot "$out/zero-fill.img" >"$out/zf.out" 2>&1
"$dfemu" boot "$out/zero-fill.img" --trace "$out/zf.trace" --trace-events sched >/dev/null 2>&1
faults=$(counter v_vm_faults "$out/zf.out")
handoffs=$(switches "$out/zf.trace")
rm -f "$out/zf.trace"
echo "one boot: $faults faults, $handoffs hand-offs, host CPU (user sys) $(cat "$out/zf.time") s"
"$java" "$here/JfrGroups.java" "$out/zero-fill.jfr" "$faults" "$handoffs"

echo
echo "== SchedulerBenchmark (ns per operation)"
"$dfemu" bench SchedulerBenchmark --quick >"$out/bench.out" 2>&1 || true
grep -E '^SchedulerBenchmark\.[A-Za-z]+ +[0-9.]+ +[0-9.]+ +ns/op' "$out/bench.out" || tail -20 "$out/bench.out"
