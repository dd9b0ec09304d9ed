/*
 * Linked into the ThreadSanitizer test binaries by .ci/sanitize (with
 * -Wl,--wrap=__tsan_func_entry,--wrap=__tsan_func_exit); not part of the
 * crate.
 *
 * Why: TSan keeps a fixed-size shadow call stack per OS thread (64 Ki
 * entries, pushed by __tsan_func_entry, popped by __tsan_func_exit, never
 * bounds-checked in the release runtime). corosensei does not tell TSan
 * about its stack switches (__tsan_switch_to_fiber), so the frames of a
 * goroutine that switches out stay on its worker thread's shadow stack: a
 * parked goroutine's frames until it resumes, and about one entry for every
 * goroutine that ever ended there (its coroutine's entry frame never
 * returns). A worker that runs many goroutines therefore overflows the
 * shadow stack, and TSan writes past its end into its own neighbouring
 * state: seen here as a SEGV inside TSan's TracePartAlloc followed by a
 * deadlock, and, worse, as runs that pass with TSan's state silently
 * corrupted.
 *
 * This guard mirrors the shadow stack's depth with a counter of its own
 * and stops the process, with a message and a marker file, before the
 * overflow, so a run is either trustworthy or fails. It is compiled
 * without instrumentation (plain cc), so it adds no entries itself.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __real___tsan_func_entry(void *pc);
void __real___tsan_func_exit(void);

/* TSan's kShadowStackSize is 64 Ki entries; stop with room left for the
 * few entries TSan's interceptors push without passing through here. */
#define LIMIT 64000

static __thread long depth;
static __thread long thread_peak;
static long peak; /* the process's highest depth, for TSAN_DEPTH_GUARD_PEAKS */

static void overflow(void) {
    static const char msg[] =
        "tsan_depth_guard: TSan's shadow call stack of this thread is nearly full "
        "(coroutine switches are not annotated for TSan, so goroutine frames pile "
        "up on their worker's shadow stack); stopping before TSan corrupts its own "
        "state. Run fewer goroutines per process under TSan (.ci/sanitize).\n";
    (void)!write(2, msg, sizeof msg - 1);
    const char *path = getenv("TSAN_DEPTH_GUARD_FILE");
    if (path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            (void)!write(fd, msg, sizeof msg - 1);
            close(fd);
        }
    }
    abort();
}

void __wrap___tsan_func_entry(void *pc) {
    if (__builtin_expect(++depth > thread_peak, 0)) {
        thread_peak = depth;
        if (depth > LIMIT) {
            depth = 0; /* abort() may run instrumented code */
            overflow();
        }
        long p = __atomic_load_n(&peak, __ATOMIC_RELAXED);
        while (depth > p && !__atomic_compare_exchange_n(&peak, &p, depth, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
    }
    __real___tsan_func_entry(pc);
}

/* With TSAN_DEPTH_GUARD_PEAKS=path, each process appends its peak depth
 * and command line there at exit: how much headroom a test leaves. */
__attribute__((destructor)) static void report_peak(void) {
    const char *path = getenv("TSAN_DEPTH_GUARD_PEAKS");
    if (!path) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return;
    char line[4096];
    int n = 0;
    long p = __atomic_load_n(&peak, __ATOMIC_RELAXED);
    char digits[24];
    int d = 0;
    do { digits[d++] = (char)('0' + p % 10); p /= 10; } while (p && d < 23);
    while (d && n < (int)sizeof line - 1) line[n++] = digits[--d];
    line[n++] = ' ';
    int cmd = open("/proc/self/cmdline", O_RDONLY);
    if (cmd >= 0) {
        char buf[2048];
        ssize_t r = read(cmd, buf, sizeof buf);
        close(cmd);
        for (ssize_t i = 0; i < r && n < (int)sizeof line - 2; i++) line[n++] = buf[i] ? buf[i] : ' ';
    }
    line[n++] = '\n';
    (void)!write(fd, line, (size_t)n);
    close(fd);
}

void __wrap___tsan_func_exit(void) {
    --depth;
    __real___tsan_func_exit();
}
