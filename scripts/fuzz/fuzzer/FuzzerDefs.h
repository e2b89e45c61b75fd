// What Jazzer.js's native sources need from libFuzzer's internal header, for a build against
// the libFuzzer that the system's compiler-rt ships. Their call to fuzzer::FuzzerDriver is
// routed to JazzerStockDriver (libfuzzer-shim.cpp), which then calls the real one.
#pragma once
#include <cstddef>
#include <cstdint>

#define FuzzerDriver JazzerStockDriver
namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
} // namespace fuzzer
