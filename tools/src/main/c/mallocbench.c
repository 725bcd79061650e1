/*
 * mallocbench: the C reference point for dfemu's allocator benchmarks. Times glibc malloc+free
 * pairs of a few sizes in a tight loop, the way the JMH benchmarks time kmalloc/kfree pairs, and
 * prints "size ns_per_pair" lines. Built and run by `dfemu bench` when gcc is on the PATH.
 *
 * Usage: mallocbench ITERATIONS SIZE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mallocbench ITERATIONS SIZE...\n");
        return 2;
    }
    long iterations = atol(argv[1]);
    for (int a = 2; a < argc; a++) {
        size_t size = (size_t)atol(argv[a]);
        volatile char sink = 0;
        /* Warm up the arena and the branch predictors. */
        for (long i = 0; i < iterations / 10; i++) {
            char *p = malloc(size);
            p[0] = (char)i;
            sink ^= p[0];
            free(p);
        }
        double best = 1e30;
        for (int round = 0; round < 5; round++) {
            double t0 = now_ns();
            for (long i = 0; i < iterations; i++) {
                char *p = malloc(size);
                p[0] = (char)i;   /* touch it, as the Java benchmarks do */
                sink ^= p[0];
                free(p);
            }
            double per = (now_ns() - t0) / iterations;
            if (per < best)
                best = per;
        }
        printf("%zu %.3f\n", size, best);
    }
    return 0;
}
