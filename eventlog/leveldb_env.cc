#include "eventlog/leveldb_env.h"

#include <memory>

#include "appliance/env/thread_name.h"

namespace lifeboat::eventlog {
namespace {

class ThreadNamingEnv final : public leveldb::EnvWrapper {
 public:
  explicit ThreadNamingEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

  void Schedule(void (*function)(void*), void* arg) override {
    target()->Schedule(&RunNamed, new Job{function, arg});
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
  static ThreadNamingEnv* env = new ThreadNamingEnv(leveldb::Env::Default());
  return env;
}

}  // namespace lifeboat::eventlog
