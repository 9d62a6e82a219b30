// Option parsing and config lookup shared by the commands.
#include <sys/stat.h>

#include <cstdlib>

#include "appliance/cli/cli.h"

namespace lifeboat::cli {

Result<std::optional<std::string>> TakeOption(Args& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      if (i + 1 >= args.size()) return Status::InvalidArgument(name + " needs a value");
      std::string value = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return std::optional<std::string>(value);
    }
    if (args[i].rfind(name + "=", 0) == 0) {
      std::string value = args[i].substr(name.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return std::optional<std::string>(value);
    }
  }
  return std::optional<std::string>();
}

bool TakeFlag(Args& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      args.erase(args.begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

std::string ShellWord(std::string_view word) {
  constexpr std::string_view kPlain =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+-./:=_,";
  if (!word.empty() && word.find_first_not_of(kPlain) == std::string_view::npos) {
    return std::string(word);
  }
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

Result<std::string> FindConfigPath(const std::optional<std::string>& flag) {
  if (flag.has_value()) return *flag;
  const char* from_env = std::getenv("LIFEBOAT_CONFIG");
  if (from_env != nullptr && *from_env != '\0') return std::string(from_env);
  std::string demo = std::string(kDemoDataDir) + "/lifeboat.toml";
  for (const std::string& candidate : {std::string(kSystemConfigPath), demo}) {
    struct stat info {};
    if (stat(candidate.c_str(), &info) == 0) return candidate;
  }
  return Status::NotFound("no config file: pass --config FILE, set LIFEBOAT_CONFIG, or create " +
                          std::string(kSystemConfigPath) + " (or run `lifeboat demo`)");
}

Result<config::Config> LoadConfig(const std::optional<std::string>& flag) {
  Result<std::string> path = FindConfigPath(flag);
  if (!path.ok()) return path.status();
  return config::LoadConfigFile(*path);
}

}  // namespace lifeboat::cli
