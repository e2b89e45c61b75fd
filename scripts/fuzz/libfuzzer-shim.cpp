// Jazzer.js's native part is written for its own fork of libFuzzer. Linked against the stock
// libFuzzer of the system's compiler-rt, it needs these few pieces that the fork adds.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <sys/prctl.h>
#include <unistd.h>

namespace libfuzzer {
extern void (*PrintCrashingInput)();
const int EXIT_ERROR_CODE = 77;
const int RETURN_EXIT = -2;
} // namespace libfuzzer

namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);

// libFuzzer's own ending for an interrupted run: prints "run interrupted", the final stats
// (-print_final_stats=1) and exits with -interrupt_exit_code (72).
void StaticInterruptCallback() __asm__("_ZN6fuzzer6Fuzzer23StaticInterruptCallbackEv");

// SIGINT and SIGTERM stop the run between two inputs, with libFuzzer's final stats, so that
// whoever stops it still learns how many inputs ran. (Jazzer.js makes libFuzzer ignore both,
// and its own SIGINT path ends through RETURN_EXIT below, without the stats.) A second signal
// ends the process at once, for a target stuck in one input.
static volatile std::sig_atomic_t gStop = 0;
static void StopHandler(int) {
  if (gStop) _exit(130);
  gStop = 1;
}

// Stock libFuzzer's -timeout is a SIGALRM that it ignores unless it lands on the fuzzing
// thread; in Jazzer.js's asynchronous mode that thread waits while the JavaScript thread runs
// the input, so a hang went unnoticed. This watchdog ends the run as libFuzzer would: the
// input in timeout-<hash> under -artifact_prefix, the executions so far, exit code 70.
static std::atomic<const uint8_t *> gData{nullptr};
static std::atomic<size_t> gSize{0};
static std::atomic<int64_t> gStartedMs{0}; // 0 while no input runs
static std::atomic<uint64_t> gRuns{0};
static long gTimeoutSec = 0;
static std::string gArtifactPrefix = "./";

static int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void Watchdog() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int64_t started = gStartedMs.load();
    if (started == 0 || NowMs() - started <= gTimeoutSec * 1000) continue;
    const uint8_t *data = gData.load();
    size_t size = gSize.load();
    uint64_t hash = 1469598103934665603ULL; // FNV-1a
    for (size_t i = 0; i < size; i++) hash = (hash ^ data[i]) * 1099511628211ULL;
    char name[32];
    snprintf(name, sizeof name, "timeout-%016llx", (unsigned long long)hash);
    std::string path = gArtifactPrefix + name;
    if (FILE *out = fopen(path.c_str(), "wb")) {
      fwrite(data, 1, size, out);
      fclose(out);
    }
    fprintf(stderr, "==%d== ERROR: libFuzzer: timeout after %ld seconds\n", (int)getpid(), gTimeoutSec);
    fprintf(stderr, "artifact_prefix='%s'; Test unit written to %s\n", gArtifactPrefix.c_str(), path.c_str());
    fprintf(stderr, "stat::number_of_executed_units: %llu\n", (unsigned long long)gRuns.load());
    fflush(stderr);
    _Exit(70);
  }
}

// The fork ends its loop when the callback returns RETURN_EXIT: Jazzer.js has then reported
// the finding and written the input. Stock libFuzzer would go on, so end the process here.
static UserCallback gCallback;
static int EndOnExit(const uint8_t *data, size_t size) {
  gData = data;
  gSize = size;
  gRuns++;
  gStartedMs = NowMs();
  int result = gCallback(data, size);
  gStartedMs = 0;
  if (result == libfuzzer::RETURN_EXIT) _Exit(libfuzzer::EXIT_ERROR_CODE);
  if (gStop) StaticInterruptCallback();
  return result;
}

int JazzerStockDriver(int *argc, char ***argv, UserCallback callback) {
  gCallback = callback;
  struct sigaction stop = {};
  stop.sa_handler = StopHandler;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  // A fuzzer whose parent died stops as if told to.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  for (int i = 1; i < *argc; i++) {
    const char *arg = (*argv)[i];
    if (strncmp(arg, "-timeout=", 9) == 0) gTimeoutSec = atol(arg + 9);
    if (strncmp(arg, "-artifact_prefix=", 17) == 0) gArtifactPrefix = arg + 17;
  }
  if (gTimeoutSec > 0) std::thread(Watchdog).detach();
  return FuzzerDriver(argc, argv, EndOnExit);
}
} // namespace fuzzer

extern "C" {
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);

// The fork's variants take the comparison's site; stock libFuzzer records the values (which
// is what guides its mutations) under the caller's address.
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t, uint64_t a, uint64_t b) { __sanitizer_cov_trace_const_cmp8(a, b); }
void __sanitizer_cov_trace_pc_indir_with_pc(void *, uintptr_t callee) { __sanitizer_cov_trace_pc_indir(callee); }

// Stock libFuzzer hands its death callback (write the input, print the stats) to this hook.
void __sanitizer_set_death_callback(void (*callback)()) { libfuzzer::PrintCrashingInput = callback; }
}
