#include "appliance/admin/admin_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lifeboat::admin {

namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

Result<std::string> ReadAdminToken(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(Errno("admin token: cannot open", path));
    return Status::IoError(Errno("admin token: cannot open", path));
  }
  std::string text(kAdminTokenFileBytesMax + 1, '\0');
  ssize_t n = read(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  errno = saved;
  if (n < 0) return Status::IoError(Errno("admin token: cannot read", path));
  if (static_cast<size_t>(n) > kAdminTokenFileBytesMax) {
    return Status::Corruption("admin token: " + path + " is larger than " +
                              std::to_string(kAdminTokenFileBytesMax) + " bytes");
  }
  text.resize(static_cast<size_t>(n));
  text = Trim(std::move(text));
  if (text.empty()) return Status::Corruption("admin token: " + path + " is empty");
  return text;
}

Result<std::string> LoadOrCreateAdminToken(const std::string& path, Env& env) {
  Result<std::string> existing = ReadAdminToken(path);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;

  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (size_t i = 0; i < kAdminTokenRandomBytes; i += sizeof(uint64_t)) {
    uint64_t bits = env.RandomU64();
    for (size_t j = 0; j < sizeof(uint64_t); ++j) {
      token.push_back(kHex[(bits >> 4) & 0xf]);
      token.push_back(kHex[bits & 0xf]);
      bits >>= 8;
    }
  }
  // O_EXCL: two starts racing never both write; 0600 from the first byte (no chmod window).
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(Errno("admin token: cannot create", path));
  std::string line = token + "\n";
  bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  bool synced = written && fsync(fd) == 0;
  int saved = errno;
  close(fd);
  errno = saved;
  if (!synced) {
    unlink(path.c_str());
    return Status::IoError(Errno("admin token: cannot write", path));
  }
  return token;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace lifeboat::admin
