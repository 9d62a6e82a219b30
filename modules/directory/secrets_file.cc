#include "modules/directory/secrets_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lifeboat::directory {

Result<std::string> ReadSecretFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::IoError("secret file " + path + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    ::close(fd);
    return Status::IoError("secret file " + path + ": " + std::strerror(error));
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    return Status::FailedPrecondition("secret file " + path +
                                      " is accessible to group or others: chmod 600 it");
  }
  std::string secret;
  char buffer[kSecretFileBytesMax + 1];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Status::IoError("secret file " + path + ": " + std::strerror(error));
    }
    if (n == 0) break;
    secret.append(buffer, static_cast<size_t>(n));
    if (secret.size() > kSecretFileBytesMax) {
      ::close(fd);
      return Status::InvalidArgument("secret file " + path + " is larger than expected");
    }
  }
  ::close(fd);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return Status::InvalidArgument("secret file " + path + " is empty");
  return secret;
}

}  // namespace lifeboat::directory
