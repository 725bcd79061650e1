/*
 * workload.c: the host-kernel side of the peer comparison (docs/peer.md). It does what the images
 * disk-images/bench-faults.spec and disk-images/bench-swap.spec make dfemu's workload programs do:
 * PROCS processes each map MIB MiB of private anonymous memory, write every page's pattern,
 * read every page back and check it, and unmap, PASSES times over. The pattern is the one of
 * disk-images/README.md ("Page pattern"): 8 words per page at byte offsets 520 * k, each a mix of
 * the process's stream, the page index, the generation and k, so a page that comes back from
 * swap wrong is caught.
 *
 * Usage: workload PROCS MIB PASSES
 * Prints one line, key=value words (read by peer.sh):
 *   cpu_ns=... faults=... minflt=... majflt=... pswpin=... pswpout=... wall_ns=...
 * cpu_ns is the user + system CPU of the children (getrusage RUSAGE_CHILDREN), faults their
 * minor + major faults; pswpin/pswpout are the deltas of /proc/vmstat over the run (the whole
 * host's: run it on an otherwise quiet swap device). Exit status 0 ok, 1 data loss or a failed
 * system call, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS 8
#define WORD_STRIDE 520

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Word k of a page, as disk-images/README.md defines it (never 0 once written). */
static uint64_t word(uint64_t stream, uint64_t page, uint64_t gen, uint64_t k) {
    uint64_t h = mix64(mix64(mix64(mix64(stream ^ 0x9e3779b97f4a7c15ULL) ^ page) ^ gen) ^ k);
    return h == 0 ? 1 : h;
}

/* One process: PASSES times map, write, verify, unmap. Returns pages that read back wrong, or -1. */
static long run_process(uint64_t stream, size_t bytes, int passes) {
    size_t pages = bytes / PAGE;
    long bad = 0;
    for (int pass = 1; pass <= passes; pass++) {
        unsigned char *r = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r == MAP_FAILED) {
            fprintf(stderr, "workload: mmap %zu bytes: %s\n", bytes, strerror(errno));
            return -1;
        }
        /* 4 KiB faults, as dfemu's kernel takes them (no transparent huge pages). */
        madvise(r, bytes, MADV_NOHUGEPAGE);
        uint64_t gen = (uint64_t) pass;
        for (size_t p = 0; p < pages; p++) {
            for (int k = 0; k < WORDS; k++) {
                *(volatile uint64_t *) (r + p * PAGE + (size_t) k * WORD_STRIDE) = word(stream, p, gen, (uint64_t) k);
            }
        }
        for (size_t p = 0; p < pages; p++) {
            for (int k = 0; k < WORDS; k++) {
                uint64_t got = *(volatile uint64_t *) (r + p * PAGE + (size_t) k * WORD_STRIDE);
                if (got != word(stream, p, gen, (uint64_t) k)) {
                    if (bad < 5) {
                        fprintf(stderr, "workload: data loss: stream %" PRIu64 " page %zu word %d: %016" PRIx64 "\n",
                                stream, p, k, got);
                    }
                    bad++;
                    break;
                }
            }
        }
        munmap(r, bytes);
    }
    return bad;
}

static long vmstat(const char *name) {
    FILE *f = fopen("/proc/vmstat", "r");
    if (f == NULL) return -1;
    char key[128];
    long value = -1, v;
    while (fscanf(f, "%127s %ld", key, &v) == 2) {
        if (strcmp(key, name) == 0) { value = v; break; }
    }
    fclose(f);
    return value;
}

static long number(const char *s, long lo, long hi, const char *what) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "workload: %s '%s' is not a number in %ld..%ld\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: workload PROCS MIB PASSES\n");
        return 2;
    }
    int procs = (int) number(argv[1], 1, 256, "PROCS");
    size_t bytes = (size_t) number(argv[2], 1, 1 << 20, "MIB") << 20;
    int passes = (int) number(argv[3], 1, 1000000, "PASSES");

    long swpin0 = vmstat("pswpin"), swpout0 = vmstat("pswpout");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < procs; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("workload: fork");
            return 1;
        }
        if (pid == 0) {
            /* Stream of copy i of program 0, as dfemu numbers its boot processes. */
            long bad = run_process((uint64_t) i, bytes, passes);
            _exit(bad == 0 ? 0 : 1);
        }
    }
    int failed = 0, status;
    while (wait(&status) > 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    long long cpu_ns = ((long long) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + ((long long) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    long long wall_ns = (long long) (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("cpu_ns=%lld faults=%ld minflt=%ld majflt=%ld pswpin=%ld pswpout=%ld wall_ns=%lld\n", cpu_ns,
           ru.ru_minflt + ru.ru_majflt, ru.ru_minflt, ru.ru_majflt, vmstat("pswpin") - swpin0,
           vmstat("pswpout") - swpout0, wall_ns);
    if (failed) {
        fprintf(stderr, "workload: %d process(es) failed (data loss, a killed process or a failed mmap)\n", failed);
        return 1;
    }
    return 0;
}
