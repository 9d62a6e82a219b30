#pragma once
// One real `lifeboat serve` for the end-to-end directory tests: started with fork/exec from the
// binary CMake names, its output in a log file, stopped by PID (SIGTERM, bounded wait, SIGKILL),
// also when a test fails (destructor). Plus `lifeboat status --json` through the real CLI.

#include <sys/types.h>

#include <chrono>
#include <string>

namespace lifeboat::directory::testing {

class NodeProcess {
 public:
  // `binary`: the lifeboat executable; `config`: its TOML file; `log`: stdout and stderr go here.
  NodeProcess(std::string binary, std::string config, std::string log)
      : binary_(std::move(binary)), config_(std::move(config)), log_(std::move(log)) {}
  ~NodeProcess() { Stop(); }
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts `serve`; false (with the reason) when exec fails at once.
  bool Start(std::string* error);
  // True while the process has not exited.
  bool Running();
  void Stop(std::chrono::seconds bound = std::chrono::seconds(30));

  // `lifeboat status --json --config F`: the node's JSON status, or "" when the CLI failed.
  std::string StatusJson() const;
  // The last `bytes` of the node's log, for failure messages.
  std::string LogTail(size_t bytes = 4000) const;

 private:
  std::string binary_;
  std::string config_;
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace lifeboat::directory::testing
