#pragma once
// The `lifeboat` command line: one file per command (appliance/cli/<name>_command.cc), dispatched
// by main.cc. Exit codes: 0 ok, 1 operating error (the message says what), 2 usage.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/env/status.h"

namespace lifeboat {
class Node;
namespace eventlog {
class LogStore;
}  // namespace eventlog
namespace admin {
struct HttpReply;
}  // namespace admin
}  // namespace lifeboat

namespace lifeboat::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

inline constexpr std::string_view kSystemConfigPath = "/etc/lifeboat/lifeboat.toml";
inline constexpr std::string_view kDemoDataDir = "/var/lib/lifeboat-demo";

// Arguments after the command name.
using Args = std::vector<std::string>;

int ServeCommand(const Args& args);
int StatusCommand(const Args& args);
int LogCommand(const Args& args);
int RebuildCommand(const Args& args);
int VersionCommand(const Args& args);
int DemoCommand(const Args& args);
int MailboxCommand(const Args& args);
int DirectoryCommand(const Args& args);
int SimCommand(const Args& args);
int RouteCommand(const Args& args);
int AuthCommand(const Args& args);
int UpdateCommand(const Args& args);
int ClusterCommand(const Args& args);

// Prints "lifeboat: <message>" on stderr and returns kExitError.
int Fail(const std::string& message);
// Prints "lifeboat: <message>" and the usage line on stderr and returns kExitUsage.
int UsageError(const std::string& message);

// Takes "--name VALUE" (or "--name=VALUE") out of `args`. Error when VALUE is missing.
Result<std::optional<std::string>> TakeOption(Args& args, const std::string& name);
// Takes the flag "--name" out of `args`.
bool TakeFlag(Args& args, const std::string& name);

// `word` as one shell word: as is when it holds only characters no shell treats specially, else
// in single quotes. For the commands the CLI prints for the operator to run next ("more: ...").
std::string ShellWord(std::string_view word);

// The config file to use: --config if given, else $LIFEBOAT_CONFIG, else the first of
// /etc/lifeboat/lifeboat.toml and /var/lib/lifeboat-demo/lifeboat.toml that exists.
Result<std::string> FindConfigPath(const std::optional<std::string>& flag);
// FindConfigPath + LoadConfigFile.
Result<config::Config> LoadConfig(const std::optional<std::string>& flag);

// GET `target` from the admin API of the node `config` describes, with the token from its data
// dir. Unavailable when the node is not running; a non-200 reply is ReplyError's status (so a
// running node's 503 is Unavailable too: callers that fall back to the data dir use CallNode).
Result<std::string> QueryNode(const config::Config& config, const std::string& target);

// Calls the admin API of the running node with `method` ("GET", "POST"). Unavailable only when
// the node is not running (nothing listens, or it never ran); any HTTP reply is returned as is.
Result<admin::HttpReply> CallNode(const config::Config& config, const std::string& method,
                                  const std::string& target);
// The error a non-2xx reply carries: the code follows the HTTP status (400 InvalidArgument,
// 404 NotFound, 409 FailedPrecondition, 503 Unavailable, else IoError), the message is the
// reply's {"error": ...} text.
Status ReplyError(const admin::HttpReply& reply);

class OfflineState;  // offline_state.h
// GET `target` from the running node; when no node runs, `offline` answers from the data dir
// (OfflineState::Open). Both give the same text: they run the same queries.
Result<std::string> AskNodeOrDataDir(
    const config::Config& config, const std::string& target,
    const std::function<Result<std::string>(const OfflineState&)>& offline);

// Opens <data_dir>/log directly (the node is not running). FailedPrecondition naming the LOCK
// when a running node holds it; NotFound when there is no log yet.
Result<std::unique_ptr<eventlog::LogStore>> OpenLogOffline(const config::Config& config);

// Runs a node with `config` until SIGTERM/SIGINT; `on_started` runs once it listens.
int RunNode(const config::Config& config, const std::function<void(Node&)>& on_started);

}  // namespace lifeboat::cli
