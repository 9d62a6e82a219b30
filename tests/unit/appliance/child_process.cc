#include "tests/unit/appliance/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lifeboat::testing {

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

Child Spawn(const std::string& binary, const std::vector<std::string>& args) {
  int pipe_fds[2];
  EXPECT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::string program = binary;
  std::vector<std::string> copies = args;
  std::vector<char*> argv{program.data()};
  for (auto& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  Child child;
  EXPECT_EQ(posix_spawn(&child.pid, program.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  child.output_fd = pipe_fds[0];
  return child;
}

bool ReadUntil(int fd, std::string& output, const std::string& needle) {
  while (needle.empty() || output.find(needle) == std::string::npos) {
    pollfd watch{fd, POLLIN, 0};
    if (poll(&watch, 1, kPollTimeoutMilliseconds) <= 0) return false;
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return needle.empty();
    output.append(buffer, static_cast<size_t>(n));
    if (output.size() > kChildOutputBytesMax) return false;
  }
  return true;
}

int WaitExit(Child& child, std::string& output) {
  EXPECT_TRUE(ReadUntil(child.output_fd, output, "")) << "child did not exit: " << output;
  close(child.output_fd);
  int status = 0;
  EXPECT_EQ(waitpid(child.pid, &status, 0), child.pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Run(const std::string& binary, const std::vector<std::string>& args, std::string& output) {
  Child child = Spawn(binary, args);
  return WaitExit(child, output);
}

}  // namespace lifeboat::testing
