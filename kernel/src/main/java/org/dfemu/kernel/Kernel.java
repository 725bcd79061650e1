package org.dfemu.kernel;

import org.dfemu.kernel.harness.trace.KernelTrace;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.harness.check.ReclaimCheck;
import org.dfemu.kernel.harness.inject.FailAlloc;
import org.dfemu.kernel.harness.report.SwapmetaPaths;
import org.dfemu.kernel.kern.Globaldata;
import org.dfemu.kernel.kern.KernClock;
import org.dfemu.kernel.kern.KernKmalloc;
import org.dfemu.kernel.kern.KernProcTable;
import org.dfemu.kernel.kern.KernSlaballoc;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.kern.KernLock;
import org.dfemu.kernel.kern.KernObjcache;
import org.dfemu.kernel.kern.KernSpinlock;
import org.dfemu.kernel.kern.KernSynch;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.sys.Thread2;
import org.dfemu.kernel.kern.SubrParam;
import org.dfemu.kernel.machine.Machdep;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.SwapPager;
import org.dfemu.kernel.vm.VmKern;
import org.dfemu.kernel.vm.VmMap;
import org.dfemu.kernel.vm.VmMeter;
import org.dfemu.kernel.vm.VmObject;
import org.dfemu.kernel.vm.VmFault;
import org.dfemu.kernel.vm.VmPager;
import org.dfemu.kernel.vm.VmPage;
import org.dfemu.kernel.vm.VmPage2;
import org.dfemu.kernel.vm.VmPageout;
import org.dfemu.kernel.vm.VmSwap;
import org.dfemu.kernel.vm.VmZone;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One booted kernel: the per-boot context every ported C file reaches the others through, as the
 * C reaches them through global symbols ({@code kernel.vmPage().vmPageAlloc(...)} for
 * {@code vm_page_alloc(...)}).
 *
 * <p>Many kernels may live in one JVM (sweeps boot them in parallel), so nothing in the port is
 * static and mutable: each C file is one instance here, holding only immutable configuration and
 * the addresses of its globals; all kernel state is in the machine's RAM.
 *
 * <p>Life cycle:
 * <ol>
 * <li>{@code new Kernel(ram, config)} links the kernel: each C-file class lays out its globals in
 *     the data segment (from physical 2 MiB) and registers its sysctls; the segment is closed and
 *     its end becomes {@code physfree}.</li>
 * <li>{@link #boot()} runs the early boot in boot context (on the calling Java thread, as
 *     thread0), in DragonFly's order: init_param1; getmemsize (with pmap_bootstrap, which builds
 *     the kernel page tables from the pages after the image); init_param2; the per-cpu map-entry
 *     reserves (mi_gdinit); vm_mem_init (vm_page_startup, vm_object_init1, vm_map_startup,
 *     kmem_init, pmap_init); the slab allocator (slab_gdinit, kmeminit) and the malloc types
 *     (malloc_init of each MALLOC_DEFINE); cpu_startup's memory report; malloc_reinit_ncpus and
 *     kmemfinishinit (mp_start, post-SMP) with objcache_init and lwkt_init (the thread cache) between them; procinit (the allproc hash) and vm_init2 (the MAP ENTRY and PV ENTRY zones); vm_page_startup_finish; the pageout thresholds. The console ({@link #dmesg})
 *     records what boot printed.</li>
 * <li>The machine is attached with {@link #attachMachine}: its scheduler (so that
 *     {@code lwkt().lwktCreate} can start kernel threads) and its CPUs, which load the kernel's
 *     CR3 and from then on receive the pmap's TLB shootdowns. A kernel booted without a machine
 *     (unit tests) runs in boot context only, on a boot CPU of its own ({@link #bootCpus}).</li>
 * </ol>
 */
public final class Kernel {
    /**
     * INVARIANTS: the C's INVARIANTS-only debugging (for instance zalloc's ZENTRY_FREE marker in
     * a free item's second word) is compiled in. The KKASSERTs are always on regardless; this
     * gates only the extra bookkeeping. PORT: a compile option in DragonFly, a tunable here so
     * one build can boot both ways.
     */
    public static final Tunable KERN_INVARIANTS = Tunable.flag("kern.invariants", "1",
            "INVARIANTS-only checks: zone free markers, free-memory poison, kmalloc double-free bitmap");

    /** The tunables the kernel proper fetches, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(KERN_INVARIANTS);

    private final KernelConfig config;
    private final boolean invariants;
    private final KernelMemory km;
    private final Sysctl sysctl;
    private final Lwkt lwkt;
    private final Witness witness;
    private final Thread2 thread2;
    private final KernSynch kernSynch;
    private final KernSpinlock kernSpinlock;
    private final KernLock kernLock;
    private final Machdep machdep;
    private final VmMeter vmMeter;
    private final VmPageout vmPageout;
    private final VmObject vmObject;
    private final VmPager vmPager;
    private final VmFault vmFault;
    private final org.dfemu.kernel.vm.VmMmap vmMmap;
    private final VmPage2 vmPage2;
    private final VmPage vmPage;
    private final Globaldata globaldata;
    private final KernClock kernClock;
    private final SubrParam subrParam;
    private final Pmap pmap;
    private final VmZone vmZone;
    private final VmMap vmMap;
    private final VmKern vmKern;
    private final KernSlaballoc kernSlaballoc;
    private final KernKmalloc kernKmalloc;
    private final KernObjcache kernObjcache;
    private final VmSwap vmSwap;
    private final SwapPager swapPager;
    private final FailAlloc failAlloc;
    private final SwapmetaPaths swapmetaPaths;
    private final ReclaimCheck reclaimCheck;
    private final KernProcTable kernProcTable;
    private final KernelSymbols symbols;
    private final KernelTrace trace;
    private final long physfree;
    private final Cpus bootCpus;
    /** The console (kprintf output, dmesg); output only, never read by kernel code. */
    private final ArrayDeque<String> msgbuf = new ArrayDeque<>();
    private long msgbufChars;
    /** Lines kprintf'ed since link, dropped ones included: a reader's bookmark into the ring. */
    private long msgbufLines;

    /**
     * Links a kernel over {@code ram} (step 1 above). The calling Java thread becomes the boot
     * context. Panics if RAM cannot hold the kernel's data segment.
     */
    public Kernel(PhysicalMemory ram, KernelConfig config) {
        this(ram, null, config);
    }

    /**
     * Links a kernel over {@code ram} that boots on cpu 0 of {@code cpus} (the machine's CPUs, so
     * that boot's accesses already go through the machine's boot CPU), or, if {@code cpus} is
     * null, on a boot CPU of its own over the same RAM (unit tests, and kernels attached to a
     * machine only after boot). As {@link #Kernel(PhysicalMemory, KernelConfig)} otherwise.
     */
    public Kernel(PhysicalMemory ram, Cpus cpus, KernelConfig config) {
        this.config = config;
        this.invariants = config.kenv().fetchFlag(KERN_INVARIANTS);
        this.bootCpus = cpus != null ? cpus
                : new Cpus(1, ram, CpuSettings.DEFAULT, TrapHandler.FATAL, TraceSink.NONE, () -> 0, () -> 0);
        this.km = new KernelMemory(ram);
        DataSegment data = new DataSegment(km);
        this.sysctl = new Sysctl(km);
        this.trace = new KernelTrace(this, SwapPager.NSWBUF_KVA);
        // Each constructor only lays out globals and keeps `this`; cross-file calls happen later.
        this.lwkt = new Lwkt(this, data);
        // Synchronisation: no globals of their own (lock words live in the structs they guard).
        this.witness = new Witness();
        this.thread2 = new Thread2(this, lwkt);
        this.kernSynch = new KernSynch(this, lwkt, witness);
        this.kernSpinlock = new KernSpinlock(this, lwkt, witness, thread2);
        this.kernLock = new KernLock(this, lwkt, witness, kernSynch);
        this.globaldata = new Globaldata(this, data);
        this.kernClock = new KernClock(this, data);
        this.subrParam = new SubrParam(this, data);
        this.machdep = new Machdep(this, data);
        // Early: other files' constructors MALLOC_DEFINE their types through it.
        this.kernSlaballoc = new KernSlaballoc(this, data, sysctl);
        lwkt.mallocDefineThread(data);
        this.kernObjcache = new KernObjcache(this, data);
        this.kernKmalloc = new KernKmalloc(this, data, sysctl);
        this.vmMeter = new VmMeter(this, data, sysctl);
        this.vmPageout = new VmPageout(this, data, sysctl);
        this.vmObject = new VmObject(this, data);
        this.vmPager = new VmPager();
        this.vmPage2 = new VmPage2(this);
        this.vmPage = new VmPage(this, data, sysctl);
        this.pmap = new Pmap(this, data);
        this.vmZone = new VmZone(this, data, sysctl);
        this.vmMap = new VmMap(this, data);
        this.vmKern = new VmKern(this, data, sysctl);
        this.vmSwap = new VmSwap(this, data, sysctl);
        this.swapPager = new SwapPager(this, data, sysctl);
        this.failAlloc = new FailAlloc(this, data, sysctl);
        this.kernProcTable = new KernProcTable(this, data);
        this.vmFault = new VmFault(this, data, sysctl);
        this.vmMmap = new org.dfemu.kernel.vm.VmMmap(this);
        // dfemu instruments, laid out last so that no ported global moves.
        this.swapmetaPaths = new SwapmetaPaths(this, data, sysctl);
        this.reclaimCheck = new ReclaimCheck(this);
        vmPager.vmPagerSetOps(StructVmObject.OBJT_SWAP, swapPager);   // pagertab[OBJT_SWAP] = &swappagerops
        this.physfree = data.close();
        this.symbols = data.symbols();
        machdep.setPhysfree(physfree);
    }

    /** Links and boots a kernel over {@code ram}: {@code new Kernel(ram, config).boot()}. */
    public static Kernel boot(PhysicalMemory ram, KernelConfig config) {
        return boot(ram, null, config);
    }

    /**
     * Links and boots a kernel over {@code ram} on cpu 0 of {@code cpus} (null: a boot CPU of its
     * own): {@code new Kernel(ram, cpus, config).boot()}.
     */
    public static Kernel boot(PhysicalMemory ram, Cpus cpus, KernelConfig config) {
        Kernel k = new Kernel(ram, cpus, config);
        k.boot();
        return k;
    }

    /**
     * Early boot (step 2 above), in boot context; returns this kernel. A panic during boot is
     * attributed to thread0.
     */
    public Kernel boot() {
        Kassert.kkassert(machdep.maxmem() == 0, "!booted", "Kernel.boot");
        try {
            subrParam.initParam1();
            machdep.getmemsize();
            subrParam.initParam2(machdep.physmem());
            for (int cpu = 0; cpu < config.ncpus(); cpu++) {
                vmMap.vmMapEntryReserveCpuInit(globaldata.globaldataFind(cpu));
            }
            // vm_mem_init (SI_BOOT1_VM)
            vmPage.vmPageStartup();
            vmObject.vmObjectInit1();
            vmMap.vmMapStartup();
            vmKern.kmemInit();
            pmap.pmapInit();
            // the slab allocator (SI_BOOT1_ALLOCATOR) and the malloc types (SI_BOOT1_KMALLOC)
            for (int cpu = 0; cpu < config.ncpus(); cpu++) {
                kernSlaballoc.slabGdinit(cpu);
            }
            kernSlaballoc.kmeminit();
            kernSlaballoc.mallocSysinit();
            // cpu_startup (SI_BOOT2_START_CPU)
            machdep.cpuStartup();
            // mp_start (SI_BOOT2_START_APS): malloc_reinit_ncpus; then SI_BOOT2_POST_SMP
            kernSlaballoc.mallocReinitNcpus();
            // objcache_init (SI_BOOT2_OBJCACHE), then lwkt_init (SI_BOOT2_LWKT_INIT): the thread cache
            kernObjcache.objcacheInit();
            lwkt.lwktInit();
            kernSlaballoc.kmemfinishinit();
            // proc0 setup (SI_BOOT2_PROC0): procinit, vm_init2
            kernProcTable.procinit();
            vmMap.vmInit2();
            vmPage.vmPageStartupFinish();
            // PORT: the C's cpus take many hardclocks between the early boot allocations and the
            // pagedaemon's start, and again before the first user process; the port's boot takes
            // no virtual time, so one hardclock per cpu before and one after the threshold setup
            // stand for them: the setup (v_inactive_target = v_free_count / 16) reads a global
            // count with boot's adjustments folded in, and every cpu's copy of vmstats holds the
            // thresholds when the machine starts.
            hardclockAllCpus();
            vmPageout.vmPageoutThreadSetup();
            hardclockAllCpus();
        } catch (KernelPanic p) {
            throw p.inThread(0, "thread0");
        }
        return this;
    }

    /** (boot only) One hardclock on every cpu, in cpu order (see the PORT note in boot()). */
    private void hardclockAllCpus() {
        for (int cpu = 0; cpu < config.ncpus(); cpu++) {
            kernClock.hardclock(cpu);
        }
    }

    public KernelConfig config() { return config; }

    /** The kernel environment (the loader's name=value strings) tunables are fetched from. */
    public Environment kenv() { return config.kenv(); }

    /** {@code kern.invariants}: whether the INVARIANTS-only bookkeeping is on. */
    public boolean invariants() { return invariants; }

    /** Kernel memory access by kernel virtual address. */
    public KernelMemory km() { return km; }

    /** The sysctl tree. */
    public Sysctl sysctl() { return sysctl; }

    /** {@code physfree}: first physical address after the kernel image (the data segment). */
    public long physfree() { return physfree; }

    /** {@code physmem}: pages of RAM. */
    public long physmem() { return machdep.physmem(); }

    public Lwkt lwkt() { return lwkt; }

    /** sys/thread2.h: crit_enter/crit_exit. */
    public Thread2 thread2() { return thread2; }

    /** kern_synch.c: tsleep, wakeup, wakeup_one. */
    public KernSynch kernSynch() { return kernSynch; }

    /** kern_spinlock.c (and spinlock2.h's inlines): spin locks. */
    public KernSpinlock kernSpinlock() { return kernSpinlock; }

    /** kern_lock.c (and lock.h's lockmgr): lockmgr locks. */
    public KernLock kernLock() { return kernLock; }

    /** (dfemu only) Which locks each thread holds and spins on, for the lock code's checks and for reports. */
    public Witness witness() { return witness; }

    public Machdep machdep() { return machdep; }

    public VmMeter vmMeter() { return vmMeter; }

    public VmPageout vmPageout() { return vmPageout; }

    public VmObject vmObject() { return vmObject; }

    /** vm_pager.c: the pager table (vm_pager_get_page, has_page, deallocate). */
    public VmPager vmPager() { return vmPager; }

    /** vm_fault.c: vm_fault(). */
    public VmFault vmFault() { return vmFault; }

    /** vm_mmap.c's memory-control system calls (mprotect, madvise, mlock, ...). */
    public org.dfemu.kernel.vm.VmMmap vmMmap() { return vmMmap; }

    public VmPage2 vmPage2() { return vmPage2; }

    public VmPage vmPage() { return vmPage; }

    public Globaldata globaldata() { return globaldata; }

    /** kern_clock.c: the per-cpu hardclock's vmstats rollup. */
    public KernClock kernClock() { return kernClock; }

    public SubrParam subrParam() { return subrParam; }

    public Pmap pmap() { return pmap; }

    public VmZone vmZone() { return vmZone; }

    public VmMap vmMap() { return vmMap; }

    public VmKern vmKern() { return vmKern; }

    /** kern_slaballoc.c: kmalloc/kfree, malloc types, kmem_slab_alloc. */
    public KernSlaballoc kernSlaballoc() { return kernSlaballoc; }

    /** kern_kmalloc.c: kmalloc_obj/kfree_obj. */
    public KernKmalloc kernKmalloc() { return kernKmalloc; }

    /** kern_objcache.c: object caches (lwkt_thread.c's thread cache). */
    public KernObjcache kernObjcache() { return kernObjcache; }

    /** vm_swap.c: swap devices, swapon, swapinfo. */
    public VmSwap vmSwap() { return vmSwap; }

    /** swap_pager.c: swap metadata (SWAPMETA), swap space, page-in and pageout. */
    public SwapPager swapPager() { return swapPager; }

    /** kern_proc.c: the allproc hash (procglob[]), pid assignment, allproc_scan. */
    public KernProcTable kernProcTable() { return kernProcTable; }

    /** (dfemu only) Low-memory fault injection: the debug.fail_* settings' hooks and counters. */
    public FailAlloc failAlloc() { return failAlloc; }

    /** (dfemu only) The SWAPMETA path counters (debug.swapmeta.*). */
    public SwapmetaPaths swapmetaPaths() { return swapmetaPaths; }

    /** (dfemu only) The reclaim-context checker (debug.reclaim_check). */
    public ReclaimCheck reclaimCheck() { return reclaimCheck; }

    /** (dfemu only) The data segment's symbol table, for reports that name kernel addresses. */
    public KernelSymbols symbols() { return symbols; }
    /**
     * The CPUs the kernel boots on: pmap_bootstrap loads CR3 on cpu 0, whose TLB translates boot
     * context's accesses (see the constructors).
     */
    public Cpus bootCpus() { return bootCpus; }

    /** The kernel's trace recorder (records nothing until {@link #attachMachine} with a trace). */
    public KernelTrace trace() { return trace; }

    /**
     * Attaches the machine this kernel runs on: its scheduler ({@code lwkt().attachScheduler})
     * and its CPUs ({@code pmap().attachCpus}: every CPU loads the kernel CR3), and installs the
     * page-fault vector ({@link org.dfemu.kernel.machine.Trap}), seeds fault injection with
     * the machine's first kernel sub-seed ({@link Machine#subSeed}), starts the kernel's trace
     * recording to the machine's trace sink ({@link KernelTrace#attach}) and the cpus' clock
     * ticks ({@link KernClock#attachClock}). Call once, after
     * {@link #boot()}, before the scheduler runs. (boot only) Panics on a mismatch of cpu count
     * or hz.
     */
    public void attachMachine(Machine machine) {
        trace.attach(machine.trace(), machine.clock()::now, machine.scheduler()::cpuNow,
                machine.scheduler()::traceCpu, machine.scheduler()::traceTid);
        lwkt.attachScheduler(machine.scheduler());
        pmap.attachCpus(machine.cpus());
        machine.setTrapHandler(new org.dfemu.kernel.machine.Trap(this));
        kernClock.attachClock(machine.clock(), machine.scheduler().hz());
        failAlloc.seed(machine.subSeed());
        reclaimCheck.attach(machine.scheduler(), machine.scheduler()::traceTid);
    }

    /** Console size bound in characters (the C's message buffer is a fixed MSGBUF_SIZE ring too). */
    private static final long MSGBUF_CHARS = 64 * 1024;

    /**
     * {@code kprintf(fmt, ...)} of one line, to the console. The console is a bounded ring of
     * lines (the oldest are dropped past 64 KiB), output only: kernel code never reads it back,
     * so it is not kernel state and lives outside emulated RAM. Any context; never blocks.
     */
    public void kprintf(String line) {
        synchronized (msgbuf) {
            msgbuf.addLast(line);
            msgbufLines++;
            msgbufChars += line.length() + 1;
            while (msgbufChars > MSGBUF_CHARS && msgbuf.size() > 1) {
                msgbufChars -= msgbuf.removeFirst().length() + 1;
            }
        }
    }

    /** How many lines the console has received so far (a bookmark for {@link #dmesgSince}). */
    public long dmesgLines() {
        synchronized (msgbuf) {
            return msgbufLines;
        }
    }

    /**
     * The console's lines printed after bookmark {@code mark} ({@link #dmesgLines} then), oldest
     * first; lines the ring has already dropped are missing, as from a wrapped message buffer.
     */
    public List<String> dmesgSince(long mark) {
        synchronized (msgbuf) {
            long skip = Math.max(0, mark - (msgbufLines - msgbuf.size()));
            return msgbuf.stream().skip(skip).toList();
        }
    }

    /** The console's lines, oldest first ({@code dmesg}). */
    public List<String> dmesg() {
        synchronized (msgbuf) {
            return List.copyOf(msgbuf);
        }
    }
}
