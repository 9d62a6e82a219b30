// Directory full-sync speed against the floor set by the server itself: a real slapd holding
// kUserCount users, timed
//   (a) a raw paged `ldapsearch` dump of the same entries and attributes to /dev/null;
//   (b) LdapSource::Fetch(kFull) + ComputeSync from an empty state (every entry mapped, diffed,
//       and turned into events), over the same verified ldaps:// connection.
// Prints one JSON line (tests/bench/run): the ratio (b)/(a) in entries per second should stay
// >= 0.5. Best of kRuns each.
//
// usage: lifeboat_bench_directory [DATA_DIR]   default: $TMPDIR, else /var/tmp

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "modules/directory/ldap_source.h"
#include "modules/directory/sync_core.h"
#include "simulator/manual_env.h"
#include "tests/integration/directory/daemon_harness.h"

namespace {

using namespace lifeboat;
using namespace lifeboat::directory;

constexpr int kUserCount = 10'000;
constexpr int kRuns = 3;
constexpr double kTargetRatioMin = 0.5;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void WriteTree(const std::string& path) {
  std::ofstream out(path);
  out << "dn: dc=example,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Example\n"
         "dc: example\n\ndn: ou=people,dc=example,dc=test\nobjectClass: organizationalUnit\n"
         "ou: people\n\n";
  for (int i = 0; i < kUserCount; ++i) {
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

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = argc > 1 ? argv[1] : (tmp != nullptr ? tmp : "/var/tmp");
  std::string dir = base + "/directory-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  int port = testing::FreeLoopbackPort();
  testing::Daemon slapd;
  std::string error;
  if (!slapd.Start(
          "sh " + testing::ScriptDir() + "/start_slapd.sh " + dir + " " + std::to_string(port),
          dir + "/slapd.pid", &error)) {
    std::fprintf(stderr, "directory_bench: %s\n", error.c_str());
    return 1;
  }
  std::string uri = "ldaps://127.0.0.1:" + std::to_string(port);
  std::string client = "LDAPTLS_CACERT=" + dir + "/ca.pem ";
  std::string bind =
      " -x -H " + uri + " -D cn=admin,dc=example,dc=test -y " + dir + "/admin.secret ";
  WriteTree(dir + "/tree.ldif");
  auto load_start = std::chrono::steady_clock::now();
  testing::CommandResult loaded =
      testing::RunCommand(client + "ldapadd" + bind + "-f " + dir + "/tree.ldif > /dev/null");
  if (loaded.exit_code != 0) {
    std::fprintf(stderr, "directory_bench: ldapadd failed: %s\n", loaded.output.c_str());
    return 1;
  }
  std::fprintf(stderr, "directory_bench: loaded %d users in %.1f s\n", kUserCount,
               SecondsSince(load_start));

  LdapSourceOptions options;
  options.uris = {uri};
  options.ca_file = dir + "/ca.pem";
  options.bind_dn = "cn=admin,dc=example,dc=test";
  options.password_file = dir + "/admin.secret";
  options.base_dn = "dc=example,dc=test";
  simulator::ManualEnv env(1);
  LdapSource source(env, options);
  std::string attributes;
  for (const char* a : {"objectClass",
                        "name",
                        "entryUUID",
                        "sAMAccountName",
                        "userPrincipalName",
                        "mail",
                        "proxyAddresses",
                        "displayName",
                        "givenName",
                        "sn",
                        "cn",
                        "department",
                        "title",
                        "telephoneNumber",
                        "mobile",
                        "manager",
                        "userAccountControl",
                        "member",
                        "uniqueMember",
                        "memberOf",
                        "createTimestamp",
                        "modifyTimestamp",
                        "otherMailbox"}) {
    attributes += std::string(" ") + a;
  }
  std::string dump = client + "ldapsearch" + bind +
                     "-b dc=example,dc=test -E pr=" + std::to_string(kLdapPageSizeDefault) +
                     "/noprompt '" + std::string(kDefaultLdapFilter) + "'" + attributes +
                     " > /dev/null";

  double raw_seconds = 1e9;
  double sync_seconds = 1e9;
  size_t upserted = 0;
  for (int run = 0; run < kRuns; ++run) {
    auto start = std::chrono::steady_clock::now();
    testing::CommandResult raw = testing::RunCommand(dump);
    raw_seconds = std::min(raw_seconds, SecondsSince(start));
    if (raw.exit_code != 0) {
      std::fprintf(stderr, "directory_bench: ldapsearch failed: %s\n", raw.output.c_str());
      return 1;
    }
    start = std::chrono::steady_clock::now();
    Result<SyncInput> input = source.Fetch(SyncMode::kFull, "");
    LB_CHECK(input.ok());
    double fetch_seconds = SecondsSince(start);
    Result<std::vector<events::Event>> events = ComputeSync({}, *input, SyncOptions{});
    LB_CHECK(events.ok());
    std::fprintf(stderr, "directory_bench: fetch %.3f s, compute %.3f s, raw dump %.3f s\n",
                 fetch_seconds, SecondsSince(start) - fetch_seconds, raw_seconds);
    sync_seconds = std::min(sync_seconds, SecondsSince(start));
    upserted = events->back().directory_sync_completed().upserted();
  }
  LB_CHECK(upserted == static_cast<size_t>(kUserCount));
  double value = kUserCount / sync_seconds;
  double peer_value = kUserCount / raw_seconds;
  std::printf(
      "{\"name\":\"directory_full_sync_10k_users\",\"value\":%.0f,\"unit\":\"entries/s\","
      "\"peer\":\"ldapsearch paged dump\",\"peer_value\":%.0f,\"ratio\":%.3f,"
      "\"target_ratio_min\":%.1f}\n",
      value, peer_value, value / peer_value, kTargetRatioMin);
  slapd.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
