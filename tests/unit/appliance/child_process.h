#pragma once
// Running the `lifeboat` binary as a real child process from a test: free ports, spawn with the
// output captured, read until a line appears (bounded by poll timeouts, never a fixed sleep),
// wait for the exit code. Shared by the appliance integration tests.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lifeboat::testing {

inline constexpr int kPollTimeoutMilliseconds = 15000;  // per wait for output; generous for ASan
inline constexpr size_t kChildOutputBytesMax = 4u << 20;

// A loopback TCP port nobody listens on right now.
uint16_t FreePort();

struct Child {
  pid_t pid = -1;
  int output_fd = -1;  // the child's stdout and stderr
};

// Starts `binary args...` with stdout and stderr on a pipe.
Child Spawn(const std::string& binary, const std::vector<std::string>& args);
// Reads `fd` into `output` until `needle` appears (true) or EOF / a silent
// kPollTimeoutMilliseconds (false). An empty needle reads to EOF.
bool ReadUntil(int fd, std::string& output, const std::string& needle);
// Reads the rest of the output, reaps the child, returns its exit code (128 + signal).
int WaitExit(Child& child, std::string& output);
// Spawn + WaitExit.
int Run(const std::string& binary, const std::vector<std::string>& args, std::string& output);

}  // namespace lifeboat::testing
