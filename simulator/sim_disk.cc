#include "simulator/sim_disk.h"

#include <leveldb/helpers/memenv.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "appliance/env/check.h"

namespace lifeboat::simulator {
namespace {

leveldb::Status Rewrite(leveldb::Env* files, const std::string& name,
                        const std::function<void(std::string&)>& edit) {
  if (!files->FileExists(name)) return leveldb::Status::NotFound(name);
  std::string contents;
  leveldb::Status status = leveldb::ReadFileToString(files, name, &contents);
  if (!status.ok()) return status;
  edit(contents);
  // memenv truncates the same file in place, so readers already open see the new bytes.
  return leveldb::WriteStringToFile(files, contents, name);
}

class MemOverwriteFile final : public eventlog::OverwriteFile {
 public:
  MemOverwriteFile(leveldb::Env* files, std::string name) : files_(files), name_(std::move(name)) {}
  leveldb::Status WriteAt(uint64_t offset, const leveldb::Slice& data) override {
    return Rewrite(files_, name_, [&](std::string& contents) {
      if (contents.size() < offset + data.size()) contents.resize(offset + data.size(), '\0');
      std::copy(data.data(), data.data() + data.size(), contents.begin() + offset);
    });
  }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
  leveldb::Status Close() override { return leveldb::Status::OK(); }

 private:
  leveldb::Env* const files_;
  const std::string name_;
};

}  // namespace

MemWalFileSystem::MemWalFileSystem(leveldb::Env* files, std::string root, uint64_t capacity_bytes)
    : files_(files), root_(std::move(root)), capacity_bytes_(capacity_bytes) {}

leveldb::Status MemWalFileSystem::NewOverwriteFile(const std::string& name,
                                                   std::unique_ptr<eventlog::OverwriteFile>* file) {
  if (!files_->FileExists(name)) return leveldb::Status::NotFound(name);
  *file = std::make_unique<MemOverwriteFile>(files_, name);
  return leveldb::Status::OK();
}

leveldb::Status MemWalFileSystem::TruncateFile(const std::string& name, uint64_t size) {
  return Rewrite(files_, name, [size](std::string& contents) { contents.resize(size, '\0'); });
}

uint64_t MemWalFileSystem::UsedBytes() const {
  // memenv lists every file whose name starts with root_ + "/", nested ones included.
  std::vector<std::string> children;
  if (!files_->GetChildren(root_, &children).ok()) return 0;
  uint64_t used = 0;
  for (const std::string& child : children) {
    uint64_t bytes = 0;
    if (files_->GetFileSize(root_ + "/" + child, &bytes).ok()) used += bytes;
  }
  return used;
}

leveldb::Status MemWalFileSystem::FreeBytes(const std::string&, uint64_t* bytes) {
  *bytes = capacity_bytes_ - std::min(capacity_bytes_, UsedBytes());
  return leveldb::Status::OK();
}

// What the stores see: the fault-injection disk, with LevelDB's background work queued for the
// world, its clock virtual, and its sleeps skipped.
class SimDisk::SchedulingEnv final : public leveldb::EnvWrapper {
 public:
  explicit SchedulingEnv(SimDisk& disk) : leveldb::EnvWrapper(&disk.faults_), disk_(disk) {}
  void Schedule(void (*function)(void*), void* arg) override {
    disk_.scheduled_.push_back([function, arg] { function(arg); });
  }
  void StartThread(void (*)(void*), void*) override {
    LB_CHECK(false && "a simulated disk starts no thread");
  }
  uint64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(disk_.world_.now()).count();
  }
  // The level-0 slowdown: nothing runs meanwhile in a simulation, so waiting would change nothing.
  void SleepForMicroseconds(int) override {}

 private:
  SimDisk& disk_;
};

SimDisk::SimDisk(World& world, std::string root, uint64_t capacity_bytes)
    : world_(world),
      root_(std::move(root)),
      memory_(leveldb::NewMemEnv(leveldb::Env::Default())),
      memory_files_(memory_.get(), root_, capacity_bytes),
      faults_(memory_.get(), Fnv1a(root_ + "/disk", world.seed()), &memory_files_),
      scheduling_(std::make_unique<SchedulingEnv>(*this)) {
  memory_->CreateDir(root_);
  hook_id_ = world_.AddAfterEventHook([this] { RunScheduled(); });
}

SimDisk::~SimDisk() {
  world_.RemoveAfterEventHook(hook_id_);
  LB_CHECK(scheduled_.empty());  // a store closed with a job pending would have hung
}

leveldb::Env* SimDisk::env() {
  return scheduling_.get();
}

size_t SimDisk::RunScheduled() {
  size_t ran = 0;
  while (!scheduled_.empty()) {
    std::function<void()> job = std::move(scheduled_.front());
    scheduled_.pop_front();
    job();
    ++ran;
    ++jobs_run_;
  }
  return ran;
}

}  // namespace lifeboat::simulator
