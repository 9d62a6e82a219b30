// lifeboat demo [--data-dir DIR]: a one-command node to try. First run: creates DIR (0700),
// DIR/lifeboat.toml with a fresh cluster id and DIR/tls/ with a self-signed certificate; later
// runs reuse them (a new cluster id would make the node refuse its own data). Then serves.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "appliance/cli/cli.h"
#include "appliance/env/libevent_env.h"
#include "appliance/node.h"
#include "appliance/tls/self_signed_certificate.h"

namespace lifeboat::cli {

namespace {

// The demo company: four people and a distribution list, so that mail to a user and to a list
// can be tried at once. Written as the CSV an administrator would import (csvde layout).
constexpr std::string_view kDemoDomain = "lifeboat.example";
constexpr std::string_view kDemoSmtpListen = "127.0.0.1:2525";
constexpr std::string_view kDemoWebmailListen = "127.0.0.1:8443";
constexpr std::string_view kDemoUsersCsv =
    "sAMAccountName,mail,displayName,givenName,sn,department,title,mobile,proxyAddresses,kind,"
    "members\n"
    "alice,alice@lifeboat.example,Alice Martin,Alice,Martin,Sales,Account Executive,"
    "+1 555 0101,smtp:a.martin@lifeboat.example,user,\n"
    "bob,bob@lifeboat.example,Bob Chen,Bob,Chen,Sales,Sales Engineer,+1 555 0102,,user,\n"
    "carol,carol@lifeboat.example,Carol Diaz,Carol,Diaz,IT,Mail Administrator,+1 555 0103,"
    "smtp:postmaster@lifeboat.example,user,\n"
    "dave,dave@lifeboat.example,Dave Okafor,Dave,Okafor,Finance,Controller,+1 555 0104,,user,\n"
    "sales,sales@lifeboat.example,Sales team,,,,,,,group,alice;bob\n";

bool Exists(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0;
}

Status WriteDemoFiles(const std::string& data_dir, const std::string& config_path) {
  LB_RETURN_IF_ERROR(CreatePrivateDirectory(data_dir + "/tls"));
  auto env = LibeventEnv::Create();
  if (!env.ok()) return env.status();
  std::string certificate = data_dir + "/tls/cert.pem";
  std::string key = data_dir + "/tls/key.pem";
  if (!Exists(key)) LB_RETURN_IF_ERROR(tls::WriteSelfSignedCertificate(**env, certificate, key));
  char cluster_id[32];
  std::snprintf(cluster_id, sizeof(cluster_id), "demo-%08llx",
                static_cast<unsigned long long>((*env)->RandomU64() & 0xffffffffu));
  const std::string users = data_dir + "/demo-users.csv";
  std::ofstream users_file(users, std::ios::trunc);
  users_file << kDemoUsersCsv;
  users_file.close();
  if (!users_file) return Status::IoError("demo: cannot write " + users);
  std::ofstream file(config_path, std::ios::trunc);
  file << "# Written by `lifeboat demo`. Edit freely; `lifeboat demo` reuses it.\n"
       << "[node]\nid = \"demo-1\"\ncluster_id = \"" << cluster_id << "\"\n"
       << "data_dir = \"" << data_dir << "\"\n\n"
       << "[admin]\nlisten = \"" << config::kAdminListenDefault << "\"\n\n"
       << "[log]\nlevel = \"info\"\n\n"
       << "[tls]\ncertificate = \"" << certificate << "\"\nprivate_key = \"" << key << "\"\n\n"
       << "[smtp]\nlisten = \"" << kDemoSmtpListen << "\"\nhostname = \"mx." << kDemoDomain
       << "\"\ndomains = [\"" << kDemoDomain << "\"]\n"
       << "# The demo has no disk reserve to speak of; an appliance keeps 1 GiB free.\n"
       << "disk_reserve_bytes = 67108864\n\n"
       << "[directory]\nimport_file = \"" << users << "\"\n\n"
       << "# HTTPS only, with the [tls] certificate (self-signed here: the browser will warn).\n"
       << "[webmail]\nlisten = \"" << kDemoWebmailListen << "\"\n";
  file.close();
  if (!file) return Status::IoError("demo: cannot write " + config_path);
  return Status::Ok();
}

}  // namespace

int DemoCommand(const Args& arguments) {
  Args args = arguments;
  auto dir_flag = TakeOption(args, "--data-dir");
  if (!dir_flag.ok()) return UsageError(dir_flag.status().message());
  if (!args.empty()) return UsageError("demo: unexpected argument \"" + args.front() + "\"");
  std::string data_dir = dir_flag->value_or(std::string(kDemoDataDir));
  if (data_dir.empty() || data_dir.front() != '/') {
    return UsageError("demo: --data-dir must be an absolute path");
  }
  Status created = CreatePrivateDirectory(data_dir);
  if (!created.ok()) return Fail(created.message());
  std::string config_path = data_dir + "/lifeboat.toml";
  if (!Exists(config_path)) {
    Status written = WriteDemoFiles(data_dir, config_path);
    if (!written.ok()) return Fail(written.message());
  }
  auto config = config::LoadConfigFile(config_path);
  if (!config.ok()) return Fail(config.status().message());
  return RunNode(*config, [&](Node& node) {
    // The commands are printed with this binary's path: it is not on PATH in a build tree.
    std::error_code error;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
    if (error) self = "lifeboat";
    const std::string smtp =
        node.smtp_address().empty() ? "(no [smtp] section)" : node.smtp_address();
    const std::string webmail =
        node.webmail_url().empty() ? "(no [webmail] section)" : node.webmail_url();
    std::printf(
        "lifeboat demo: node %s of cluster %s\n"
        "  data dir   %s\n"
        "  SMTP       %s  (mail for alice, bob, carol, dave and sales @%s)\n"
        "  admin API  http://%s:%u  (token in %s/admin.token)\n"
        "  webmail    %s  (JSON API; a first login needs an activation code)\n"
        "Try, in another terminal:\n"
        "  %s auth codes --user alice@%s --count 1 --config %s\n"
        "  swaks --server %s --from someone@outside.example --to alice@%s\n"
        "  %s mailbox list alice@%s --config %s\n"
        "  %s status --config %s\n"
        "  %s log tail --config %s\n"
        "Stop with Ctrl-C.\n",
        config->node.id.c_str(), config->node.cluster_id.c_str(), data_dir.c_str(), smtp.c_str(),
        std::string(kDemoDomain).c_str(), config->admin.host.c_str(), node.admin_port(),
        data_dir.c_str(), webmail.c_str(), self.c_str(), std::string(kDemoDomain).c_str(),
        config_path.c_str(), smtp.c_str(), std::string(kDemoDomain).c_str(), self.c_str(),
        std::string(kDemoDomain).c_str(), config_path.c_str(), self.c_str(), config_path.c_str(),
        self.c_str(), config_path.c_str());
    std::fflush(stdout);
  });
}

}  // namespace lifeboat::cli
