#include "simulator/scenario.h"

#include <toml++/toml.h>

#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

// `lhs = *expr`, or returns expr's error. Names its temporary after the line.
#define SCENARIO_CONCAT_INNER(a, b) a##b
#define SCENARIO_CONCAT(a, b) SCENARIO_CONCAT_INNER(a, b)
#define SCENARIO_ASSIGN(lhs, expr)                               \
  auto SCENARIO_CONCAT(scenario_result_, __LINE__) = (expr);     \
  if (!SCENARIO_CONCAT(scenario_result_, __LINE__).ok()) {       \
    return SCENARIO_CONCAT(scenario_result_, __LINE__).status(); \
  }                                                              \
  lhs = std::move(SCENARIO_CONCAT(scenario_result_, __LINE__)).value()

namespace lifeboat::simulator {
namespace {

constexpr FaultKind kFaultKinds[] = {FaultKind::kCrash,         FaultKind::kPowerLoss,
                                     FaultKind::kTornPowerLoss, FaultKind::kDiskFull,
                                     FaultKind::kFsyncFailure,  FaultKind::kPartition,
                                     FaultKind::kClog,          FaultKind::kBadLink,
                                     FaultKind::kPrimaryOutage, FaultKind::kPrimaryFlap};

// Errors say where: "scenario power_cuts.toml: [[fault]] 2: kind: ...".
class Reader {
 public:
  explicit Reader(std::string_view origin) : origin_(origin) {}

  Status Error(std::string_view where, std::string_view what) const {
    return Status::InvalidArgument("scenario " + origin_ + ": " + std::string(where) +
                                   (where.empty() ? "" : ": ") + std::string(what));
  }

  Status OnlyKeys(const toml::table& table, std::string_view where,
                  std::initializer_list<std::string_view> known) const {
    for (const auto& [key, node] : table) {
      bool found = false;
      for (std::string_view name : known) found = found || key.str() == name;
      if (!found) return Error(where, "unknown key \"" + std::string(key.str()) + "\"");
    }
    return Status::Ok();
  }

  // A whole number in [low, high], or `fallback` when absent.
  Result<int64_t> Integer(const toml::table& table, std::string_view where, std::string_view key,
                          int64_t low, int64_t high, int64_t fallback) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    const std::optional<int64_t> value = node->value<int64_t>();
    if (!node->is_integer() || !value.has_value() || *value < low || *value > high) {
      return Error(where, std::string(key) + " takes a whole number in " + std::to_string(low) +
                              ".." + std::to_string(high));
    }
    return *value;
  }

  Result<std::string> Text(const toml::table& table, std::string_view where, std::string_view key,
                           std::string fallback) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_string()) return Error(where, std::string(key) + " takes a string");
    return std::string(*node->value<std::string_view>());
  }

  Result<bool> Flag(const toml::table& table, std::string_view where, std::string_view key,
                    bool fallback) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) return Error(where, std::string(key) + " takes true or false");
    return *node->value<bool>();
  }

  // The table under `key`, or an empty one.
  Result<const toml::table*> Section(const toml::table& table, std::string_view key) const {
    static const toml::table kEmpty;
    const toml::node* node = table.get(key);
    if (node == nullptr) return &kEmpty;
    if (!node->is_table()) return Error("", "[" + std::string(key) + "] must be a section");
    return node->as_table();
  }

 private:
  const std::string origin_;
};

Result<ScheduledFault> ParseFault(const Reader& reader, const toml::table& table,
                                  const std::string& where, const SimulationOptions& options) {
  LB_RETURN_IF_ERROR(
      reader.OnlyKeys(table, where, {"at_seconds", "length_seconds", "kind", "sender"}));
  ScheduledFault fault;
  const int64_t duration_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(options.duration).count();
  if (table.get("at_seconds") == nullptr) return reader.Error(where, "at_seconds is missing");
  SCENARIO_ASSIGN(const int64_t at,
                  reader.Integer(table, where, "at_seconds", 0, duration_seconds - 1, 0));
  SCENARIO_ASSIGN(const int64_t length, reader.Integer(table, where, "length_seconds", 1,
                                                       kScenarioDurationSecondsMax, 30));
  SCENARIO_ASSIGN(const std::string kind, reader.Text(table, where, "kind", ""));
  SCENARIO_ASSIGN(const int64_t sender,
                  reader.Integer(table, where, "sender", 0, options.senders - 1, 0));
  bool known = false;
  for (FaultKind candidate : kFaultKinds) {
    if (kind == FaultKindName(candidate)) {
      fault.kind = candidate;
      known = true;
    }
  }
  if (!known) {
    std::string names;
    for (FaultKind candidate : kFaultKinds) {
      names += (names.empty() ? "" : ", ") + std::string(FaultKindName(candidate));
    }
    return reader.Error(where, "kind \"" + kind + "\" is none of " + names);
  }
  fault.at = std::chrono::seconds(at);
  fault.length = std::chrono::seconds(length);
  fault.sender = static_cast<int>(sender);
  return fault;
}

}  // namespace

Result<SimulationOptions> ParseScenario(std::string_view text, std::string_view origin) {
  const Reader reader(origin);
  if (text.size() > kScenarioFileBytesMax) return reader.Error("", "the file is too large");
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return reader.Error(std::to_string(error.source().begin.line) + ":" +
                            std::to_string(error.source().begin.column),
                        error.description());
  }
  const toml::table& root = parsed.table();
  LB_RETURN_IF_ERROR(reader.OnlyKeys(root, "",
                                     {"name", "description", "duration_seconds",
                                      "drain_bound_seconds", "mail", "random_faults", "fault"}));
  SimulationOptions options;
  std::string fallback_name(origin);
  if (const size_t slash = fallback_name.rfind('/'); slash != std::string::npos) {
    fallback_name.erase(0, slash + 1);
  }
  if (const size_t dot = fallback_name.rfind('.'); dot != std::string::npos) {
    fallback_name.erase(dot);
  }
  SCENARIO_ASSIGN(options.scenario, reader.Text(root, "", "name", fallback_name));
  SCENARIO_ASSIGN(const std::string description, reader.Text(root, "", "description", ""));
  (void)description;  // for the reader of the file
  SCENARIO_ASSIGN(
      const int64_t duration,
      reader.Integer(root, "", "duration_seconds", 1, kScenarioDurationSecondsMax,
                     std::chrono::duration_cast<std::chrono::seconds>(options.duration).count()));
  options.duration = std::chrono::seconds(duration);
  SCENARIO_ASSIGN(
      const int64_t drain,
      reader.Integer(
          root, "", "drain_bound_seconds", 1, kScenarioDurationSecondsMax,
          std::chrono::duration_cast<std::chrono::seconds>(options.drain_bound).count()));
  options.drain_bound = std::chrono::seconds(drain);

  SCENARIO_ASSIGN(const toml::table* mail, reader.Section(root, "mail"));
  LB_RETURN_IF_ERROR(reader.OnlyKeys(*mail, "[mail]", {"senders", "interval_mean_ms"}));
  SCENARIO_ASSIGN(const int64_t senders, reader.Integer(*mail, "[mail]", "senders", 1,
                                                        kScenarioSendersMax, options.senders));
  options.senders = static_cast<int>(senders);
  SCENARIO_ASSIGN(const int64_t interval,
                  reader.Integer(*mail, "[mail]", "interval_mean_ms", 1, int64_t{3600} * 1000,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     options.mail_interval_mean)
                                     .count()));
  options.mail_interval_mean = std::chrono::milliseconds(interval);

  SCENARIO_ASSIGN(const toml::table* random, reader.Section(root, "random_faults"));
  LB_RETURN_IF_ERROR(
      reader.OnlyKeys(*random, "[random_faults]", {"enabled", "interval_mean_seconds"}));
  SCENARIO_ASSIGN(options.random_faults, reader.Flag(*random, "[random_faults]", "enabled", false));
  SCENARIO_ASSIGN(
      const int64_t fault_interval,
      reader.Integer(
          *random, "[random_faults]", "interval_mean_seconds", 1, kScenarioDurationSecondsMax,
          std::chrono::duration_cast<std::chrono::seconds>(options.fault_interval_mean).count()));
  options.fault_interval_mean = std::chrono::seconds(fault_interval);

  if (const toml::node* faults = root.get("fault"); faults != nullptr) {
    const toml::array* array = faults->as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      return reader.Error("", "faults are [[fault]] tables");
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string where = "[[fault]] " + std::to_string(i + 1);
      SCENARIO_ASSIGN(ScheduledFault fault,
                      ParseFault(reader, *array->get(i)->as_table(), where, options));
      options.faults.push_back(fault);
    }
  }
  return options;
}

Result<SimulationOptions> LoadScenario(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("scenario " + path + ": cannot be read");
  std::ostringstream text;
  text << file.rdbuf();
  return ParseScenario(text.str(), path);
}

}  // namespace lifeboat::simulator
