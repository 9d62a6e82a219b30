// lifeboat demo [--data-dir DIR]: a one-command node to try. First run: creates DIR (0700),
// DIR/lifeboat.toml with a fresh cluster id and DIR/tls/ with a self-signed certificate; later
// runs reuse them (a new cluster id would make the node refuse its own data). Then serves.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "appliance/cli/cli.h"
#include "appliance/env/libevent_env.h"
#include "appliance/node.h"
#include "appliance/tls/self_signed_certificate.h"

namespace lifeboat::cli {

namespace {

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
  std::ofstream file(config_path, std::ios::trunc);
  file << "# Written by `lifeboat demo`. Edit freely; `lifeboat demo` reuses it.\n"
       << "[node]\nid = \"demo-1\"\ncluster_id = \"" << cluster_id << "\"\n"
       << "data_dir = \"" << data_dir << "\"\n\n"
       << "[admin]\nlisten = \"" << config::kAdminListenDefault << "\"\n\n"
       << "[log]\nlevel = \"info\"\n\n"
       << "[tls]\ncertificate = \"" << certificate << "\"\nprivate_key = \"" << key << "\"\n";
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
    std::printf(
        "lifeboat demo: node %s of cluster %s\n"
        "  data dir   %s\n"
        "  admin API  http://%s:%u  (token in %s/admin.token)\n"
        "Try, in another terminal:\n"
        "  lifeboat status --config %s\n"
        "  lifeboat log tail --config %s\n"
        "  curl -s -H \"Authorization: Bearer $(cat %s/admin.token)\" "
        "http://%s:%u/metrics\n"
        "Stop with Ctrl-C.\n",
        config->node.id.c_str(), config->node.cluster_id.c_str(), data_dir.c_str(),
        config->admin.host.c_str(), node.admin_port(), data_dir.c_str(), config_path.c_str(),
        config_path.c_str(), data_dir.c_str(), config->admin.host.c_str(), node.admin_port());
    std::fflush(stdout);
  });
}

}  // namespace lifeboat::cli
