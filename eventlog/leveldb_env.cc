#include "eventlog/leveldb_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "appliance/env/thread_name.h"

namespace lifeboat::eventlog {
namespace {

leveldb::Status PosixError(const std::string& context, int error_number) {
  if (error_number == ENOENT)
    return leveldb::Status::NotFound(context, std::strerror(error_number));
  return leveldb::Status::IOError(context, std::strerror(error_number));
}

// A table file read with pread(2): the fd stays open while LevelDB's table cache holds the
// table (max_open_files bounds how many), and no page is mapped into the process (header).
class PreadRandomAccessFile final : public leveldb::RandomAccessFile {
 public:
  PreadRandomAccessFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadRandomAccessFile() override { ::close(fd_); }
  PreadRandomAccessFile(const PreadRandomAccessFile&) = delete;
  PreadRandomAccessFile& operator=(const PreadRandomAccessFile&) = delete;

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    // A short read at the end of the file is how LevelDB learns the file's end (as with its own
    // PosixRandomAccessFile); the caller checks the block's size and checksum.
    ssize_t read = ::pread(fd_, scratch, n, static_cast<off_t>(offset));
    *result = leveldb::Slice(scratch, read < 0 ? 0 : static_cast<size_t>(read));
    if (read < 0) return PosixError(name_, errno);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;
};

class NodeLevelDbEnv final : public leveldb::EnvWrapper {
 public:
  explicit NodeLevelDbEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

  void Schedule(void (*function)(void*), void* arg) override {
    target()->Schedule(&RunNamed, new Job{function, arg});
  }

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(name, errno);
    *result = new PreadRandomAccessFile(name, fd);
    return leveldb::Status::OK();
  }

 private:
  struct Job {
    void (*function)(void*);
    void* arg;
  };

  static void RunNamed(void* job_pointer) {
    std::unique_ptr<Job> job(static_cast<Job*>(job_pointer));
    NameThisThread(kLevelDbThreadName);  // a compaction or flush: rare next to the work itself
    job->function(job->arg);
  }
};

}  // namespace

leveldb::Env* DefaultLevelDbEnv() {
  static NodeLevelDbEnv* env = new NodeLevelDbEnv(leveldb::Env::Default());
  return env;
}

}  // namespace lifeboat::eventlog
