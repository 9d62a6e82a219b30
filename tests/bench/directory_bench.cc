// Directory sync speed against real servers, in one run:
//  1. Full sync from a private slapd holding N users (10,000, then 100,000), against the floor
//     set by the server itself: a raw paged `ldapsearch` dump of the same entries and attributes
//     to /dev/null, over the same verified ldaps:// listener. Ours is LdapSource::Fetch(kFull) +
//     ComputeSync from an empty state (every entry mapped, diffed and turned into events).
//     Best of kRuns each (a 10k sync takes 0.1 s: one run is noise on a shared machine).
//     Target: ours >= kTargetRatioMin of ldapsearch's entries/s (our time <= 1.5x theirs).
//     stderr also shows CPU seconds of each side, which the machine's other load barely moves.
//  2. Incremental sync of kIncrementalChanges changes from a Samba AD DC (DirSync): the time of
//     the sync call (fetch of the changes + ComputeSync against the state of the previous sync),
//     the worst of kRuns. Target: <= kIncrementalSecondsMax.
// Prints one JSON line per figure (tests/bench/run); progress and the split of the time go to
// stderr.
//
// usage: lifeboat_bench_directory [DATA_DIR] [--no-samba]   DATA_DIR default: $TMPDIR, /var/tmp

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "modules/directory/ldap_source.h"
#include "modules/directory/sync_core.h"
#include "simulator/manual_env.h"
#include "tests/integration/directory/daemon_harness.h"

namespace {

using namespace lifeboat;
using namespace lifeboat::directory;
using Clock = std::chrono::steady_clock;

constexpr int kUserCounts[] = {10'000, 100'000};
constexpr int kRuns = 5;
// Ours must reach at least this fraction of ldapsearch's entries/s (our time <= 1.5x theirs).
constexpr double kTargetRatioMin = 0.667;
constexpr int kIncrementalChanges = 100;
constexpr double kIncrementalSecondsMax = 1.0;
constexpr int kSambaLdapPort = 389;
constexpr auto kSambaPortFreeBound = std::chrono::seconds(300);
constexpr char kSambaBase[] = "DC=corp,DC=example,DC=test";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of this thread, and of the finished child processes (ldapsearch): the machine is
// shared, so the split of the work is also printed in CPU time, which other load barely moves.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "directory_bench: %s\n", message.c_str());
  std::exit(1);
}

// Users [from, to) of the slapd tree; `with_base` adds the suffix and the OU first.
void WriteTree(const std::string& path, int from, int to, bool with_base) {
  std::ofstream out(path);
  if (with_base) {
    out << "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\n"
           "o: Example\ndc: example\n\ndn: ou=people,dc=example,dc=test\n"
           "objectClass: organizationalUnit\nou: people\n\n";
  }
  for (int i = from; i < to; ++i) {
    std::string name = "user" + std::to_string(i);
    out << "dn: uid=" << name << ",ou=people,dc=example,dc=test\n"
        << "objectClass: inetOrgPerson\nobjectClass: lifeboatUser\nuid: " << name << "\ncn: User "
        << i << "\nsn: " << i << "\ngivenName: User\ndisplayName: User " << i
        << "\nsAMAccountName: " << name << "\nmail: " << name
        << "@example.test\nproxyAddresses: SMTP:" << name
        << "@example.test\nproxyAddresses: smtp:" << name << ".alias@example.test\nmobile: +1 555 "
        << i << "\ntitle: Engineer\ndepartment: R&D\n\n";
  }
}

std::string AttributeList(const std::vector<std::string>& attributes) {
  std::string out;
  for (const std::string& a : attributes) out += " " + a;
  return out;
}

class SlapdBench {
 public:
  explicit SlapdBench(std::string dir) : dir_(std::move(dir)), port_(testing::FreeLoopbackPort()) {}

  // Loads users up to `count` offline (slapadd -q with slapd stopped: ldapadd online takes
  // minutes for 100,000), then starts slapd.
  void Load(int count) {
    if (slapd_.running()) slapd_.Stop();
    if (loaded_ == 0) {
      Start();  // writes slapd.conf and the TLS material
      slapd_.Stop();
    }
    std::string ldif = dir_ + "/tree.ldif";
    WriteTree(ldif, loaded_, count, loaded_ == 0);
    auto start = Clock::now();
    testing::CommandResult added =
        testing::RunCommand("slapadd -q -f " + dir_ + "/slapd.conf -l " + ldif);
    if (added.exit_code != 0) Die("slapadd failed: " + added.output);
    std::fprintf(stderr, "directory_bench: loaded users %d..%d in %.1f s\n", loaded_, count,
                 SecondsSince(start));
    loaded_ = count;
    Start();
  }

  // One figure: ours vs ldapsearch on the `loaded_` users.
  void Measure() {
    std::string uri = "ldaps://127.0.0.1:" + std::to_string(port_);
    std::string dump =
        "LDAPTLS_CACERT=" + dir_ + "/ca.pem ldapsearch -x -H " + uri +
        " -D cn=admin,dc=example,dc=test -y " + dir_ +
        "/admin.secret -b dc=example,dc=test -E pr=" + std::to_string(kLdapPageSizeDefault) +
        "/noprompt '" + std::string(kDefaultLdapFilter) + "'" +
        AttributeList(SyncAttributes("otherMailbox")) + " > /dev/null";
    LdapSourceOptions options;
    options.uris = {uri};
    options.ca_file = dir_ + "/ca.pem";
    options.bind_dn = "cn=admin,dc=example,dc=test";
    options.password_file = dir_ + "/admin.secret";
    options.base_dn = "dc=example,dc=test";
    simulator::ManualEnv env(1);
    LdapSource source(env, options);
    double raw_seconds = 1e9;
    double sync_seconds = 1e9;
    for (int run = 0; run < kRuns; ++run) {
      auto start = Clock::now();
      double children_cpu = ChildrenCpuSeconds();
      testing::CommandResult raw = testing::RunCommand(dump);
      double raw_run = SecondsSince(start);
      double raw_cpu = ChildrenCpuSeconds() - children_cpu;
      if (raw.exit_code != 0) Die("ldapsearch failed: " + raw.output);
      start = Clock::now();
      double cpu_start = ThreadCpuSeconds();
      Result<SyncInput> input = source.Fetch(SyncMode::kFull, "");
      if (!input.ok()) Die("fetch: " + input.status().ToString());
      double fetch_run = SecondsSince(start);
      double fetch_cpu = ThreadCpuSeconds() - cpu_start;
      Result<std::vector<events::Event>> events = ComputeSync({}, *input, SyncOptions{});
      if (!events.ok()) Die("compute: " + events.status().ToString());
      double sync_run = SecondsSince(start);
      double compute_cpu = ThreadCpuSeconds() - cpu_start - fetch_cpu;
      uint32_t upserted = events->back().directory_sync_completed().upserted();
      if (upserted != static_cast<uint32_t>(loaded_)) {
        Die("full sync upserted " + std::to_string(upserted) + " of " + std::to_string(loaded_));
      }
      std::fprintf(stderr,
                   "directory_bench: %d users: fetch %.3f s + compute %.3f s = %.3f s; "
                   "ldapsearch %.3f s | cpu: fetch %.3f s, compute %.3f s, ldapsearch %.3f s\n",
                   loaded_, fetch_run, sync_run - fetch_run, sync_run, raw_run, fetch_cpu,
                   compute_cpu, raw_cpu);
      raw_seconds = std::min(raw_seconds, raw_run);
      sync_seconds = std::min(sync_seconds, sync_run);
    }
    double value = loaded_ / sync_seconds;
    double peer_value = loaded_ / raw_seconds;
    std::printf(
        "{\"name\":\"directory_full_sync_%dk_users\",\"value\":%.0f,\"unit\":\"entries/s\","
        "\"peer\":\"ldapsearch paged dump\",\"peer_value\":%.0f,\"ratio\":%.3f,"
        "\"target_ratio_min\":%.3f}\n",
        loaded_ / 1000, value, peer_value, value / peer_value, kTargetRatioMin);
    std::fflush(stdout);
  }

 private:
  void Start() {
    std::string error;
    if (!slapd_.Start(
            "sh " + testing::ScriptDir() + "/start_slapd.sh " + dir_ + " " + std::to_string(port_),
            dir_ + "/slapd.pid", &error)) {
      Die(error);
    }
  }

  std::string dir_;
  int port_;
  int loaded_ = 0;
  testing::Daemon slapd_;
};

// The state a sync leaves behind, as the projection would hold it.
void Apply(const std::vector<events::Event>& events, DirectoryState& state) {
  for (const events::Event& e : events) {
    if (e.has_directory_entry_upserted()) {
      state[e.directory_entry_upserted().entry().id()] = e.directory_entry_upserted().entry();
    } else if (e.has_directory_entry_removed()) {
      state.erase(e.directory_entry_removed().id());
    }
  }
}

class SambaBench {
 public:
  explicit SambaBench(std::string dir) : dir_(std::move(dir)) {}

  void Measure() {
    if (!testing::PollUntil(
            std::chrono::duration_cast<std::chrono::milliseconds>(kSambaPortFreeBound),
            std::chrono::milliseconds(500),
            [] { return testing::LoopbackPortFree(kSambaLdapPort); })) {
      Die("127.0.0.1:389 stays taken: another Samba DC runs");
    }
    std::string error;
    if (!samba_.Start("sh " + testing::ScriptDir() + "/start_samba.sh " + dir_, dir_ + "/samba.pid",
                      &error)) {
      Die(error);
    }
    std::string users;
    for (int i = 0; i < kIncrementalChanges; ++i) {
      std::string name = "bench" + std::to_string(i);
      users += "dn: CN=" + name + ",CN=Users," + kSambaBase + "\nobjectClass: user\n" +
               "sAMAccountName: " + name + "\nmail: " + name + "@corp.example.test\n" +
               "title: Engineer\n\n";
    }
    Ldap("ldapadd", users);

    LdapSourceOptions options;
    options.uris = {"ldap://127.0.0.1"};
    options.start_tls = true;
    options.ca_file = dir_ + "/ca.pem";
    options.bind_dn = "Administrator@corp.example.test";
    options.password_file = dir_ + "/admin.secret";
    options.base_dn = kSambaBase;
    simulator::ManualEnv env(1);
    LdapSource source(env, options);
    DirectoryState state;
    std::string cookie = Sync(source, SyncMode::kFull, "", state, -1);
    double worst = 0;
    for (int run = 0; run < kRuns; ++run) {
      std::string changes;
      for (int i = 0; i < kIncrementalChanges; ++i) {
        changes += "dn: CN=bench" + std::to_string(i) + ",CN=Users," + kSambaBase +
                   "\nchangetype: modify\nreplace: title\ntitle: Engineer " + std::to_string(run) +
                   "\n-\n\n";
      }
      Ldap("ldapmodify", changes);
      auto start = Clock::now();
      cookie = Sync(source, SyncMode::kIncremental, cookie, state, kIncrementalChanges);
      double seconds = SecondsSince(start);
      std::fprintf(stderr, "directory_bench: incremental sync of %d changes: %.3f s\n",
                   kIncrementalChanges, seconds);
      worst = std::max(worst, seconds);
    }
    std::printf(
        "{\"name\":\"directory_incremental_sync_%d_changes_samba\",\"value\":%.3f,\"unit\":\"s\","
        "\"target_max\":%.1f}\n",
        kIncrementalChanges, worst, kIncrementalSecondsMax);
    std::fflush(stdout);
    samba_.Stop();
  }

 private:
  // One sync call (fetch + compute); checks it upserted `expected` entries (-1: any).
  std::string Sync(LdapSource& source, SyncMode mode, const std::string& cookie,
                   DirectoryState& state, int expected) {
    Result<SyncInput> input = source.Fetch(mode, cookie);
    if (!input.ok()) Die("samba fetch: " + input.status().ToString());
    Result<std::vector<events::Event>> events = ComputeSync(state, *input, SyncOptions{});
    if (!events.ok()) Die("samba compute: " + events.status().ToString());
    const events::DirectorySyncCompleted& done = events->back().directory_sync_completed();
    if (expected >= 0 && done.upserted() != static_cast<uint32_t>(expected)) {
      Die("incremental sync upserted " + std::to_string(done.upserted()) + ", expected " +
          std::to_string(expected));
    }
    Apply(*events, state);
    return done.cookie();
  }

  void Ldap(const std::string& tool, const std::string& ldif) {
    std::string file = dir_ + "/change.ldif";
    std::ofstream(file) << ldif;
    testing::CommandResult result =
        testing::RunCommand("LDAPTLS_CACERT=" + dir_ + "/ca.pem " + tool +
                            " -x -ZZ -H ldap://127.0.0.1 -D Administrator@corp.example.test -y " +
                            dir_ + "/admin.secret -f " + file + " > /dev/null");
    if (result.exit_code != 0) Die(tool + ": " + result.output);
  }

  std::string dir_;
  testing::Daemon samba_;
};

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr ? tmp : "/var/tmp";
  bool samba = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--no-samba") {
      samba = false;
    } else {
      base = arg;
    }
  }
  std::string dir = base + "/directory-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/slapd");
  {
    SlapdBench slapd(dir + "/slapd");
    for (int count : kUserCounts) {
      slapd.Load(count);
      slapd.Measure();
    }
  }
  if (samba) {
    std::filesystem::create_directories(dir + "/samba");
    SambaBench(dir + "/samba").Measure();
  }
  std::filesystem::remove_all(dir);
  return 0;
}
