#include "tests/integration/directory/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/directory/daemon_harness.h"

namespace lifeboat::directory::testing {

bool NodeProcess::Start(std::string* error) {
  int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    *error = "cannot open " + log_ + ": " + std::strerror(errno);
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(log_fd);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const char* argv[] = {binary_.c_str(), "serve", "--config", config_.c_str(), nullptr};
    ::execv(binary_.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  return true;
}

bool NodeProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void NodeProcess::Stop(std::chrono::seconds bound) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitForExit(pid_, bound)) ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);  // our child: reap it (at once now that it has exited)
  pid_ = -1;
}

std::string NodeProcess::StatusJson() const {
  CommandResult result =
      RunCommand("'" + binary_ + "' status --json --config '" + config_ + "' 2>/dev/null");
  return result.exit_code == 0 ? result.output : "";
}

std::string NodeProcess::LogTail(size_t bytes) const {
  std::ifstream in(log_);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace lifeboat::directory::testing
