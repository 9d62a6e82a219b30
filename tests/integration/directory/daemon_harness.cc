#include "tests/integration/directory/daemon_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace lifeboat::directory::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/lifeboat-dir-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made != nullptr) path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

bool LoopbackPortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int reuse = 1;  // a port in TIME_WAIT from a stopped daemon is free for our purpose
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ScriptDir() {
  return LIFEBOAT_DIRECTORY_SCRIPTS;
}

bool Daemon::Start(const std::string& start_command, const std::string& pid_file,
                   std::string* error) {
  CommandResult started = RunCommand(start_command);
  std::ifstream pid_stream(pid_file);
  pid_t pid = -1;
  if (pid_stream >> pid && pid > 0) pid_ = pid;  // stop it even if it failed to answer
  if (started.exit_code != 0) {
    *error = "`" + start_command + "` failed (" + std::to_string(started.exit_code) +
             "): " + started.output;
    return false;
  }
  if (pid_ <= 0) {
    *error = "no PID in " + pid_file;
    return false;
  }
  return true;
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds bound) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // gone (and reaped) already
  pollfd exit_event{fd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&exit_event, 1, static_cast<int>(bound.count()));
  } while (ready < 0 && errno == EINTR);
  ::close(fd);
  return ready > 0;
}

bool PollUntil(std::chrono::milliseconds bound, std::chrono::milliseconds interval,
               const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

void Daemon::Stop(std::chrono::seconds bound) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitForExit(pid_, bound)) ::kill(pid_, SIGKILL);
  pid_ = -1;
}

}  // namespace lifeboat::directory::testing
