// Jazzer.js's native part is written for its own fork of libFuzzer. Linked against the stock
// libFuzzer of the system's compiler-rt, it needs these few pieces that the fork adds.
#include <csignal>
#include <cstdint>
#include <cstdlib>
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

// The fork ends its loop when the callback returns RETURN_EXIT: Jazzer.js has then reported
// the finding and written the input. Stock libFuzzer would go on, so end the process here.
static UserCallback gCallback;
static int EndOnExit(const uint8_t *data, size_t size) {
  int result = gCallback(data, size);
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
