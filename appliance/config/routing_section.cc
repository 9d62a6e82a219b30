// [routing]: the primaries the node probes and the hysteresis of the switch (issue #11). Checked
// here so that a typo stops the start: a node that probes the wrong port would switch the whole
// deployment to continuity by itself.
#include "appliance/config/sections.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kPrimariesExpected =
    "a non-empty array of \"HOST:PORT\" with a numeric host ([\"10.0.0.5:25\"])";
constexpr std::string_view kHeloExpected = "a host name";
constexpr std::string_view kWebhookExpected =
    "\"http://HOST[:PORT]/PATH\" with a numeric host (\"http://10.0.0.9:8080/lifeboat\")";
// A probe interval below 100 ms would probe a primary harder than any client does; above an hour
// the switch would not come "within seconds" at all.
constexpr int64_t kProbeIntervalMsMin = 100;
constexpr int64_t kProbeIntervalMsMax = 3'600'000;
constexpr int64_t kProbeTimeoutMsMin = 50;
constexpr int64_t kCountMax = 1000;
constexpr int64_t kDurationMsMax = 86'400'000;  // a day
constexpr size_t kPrimariesMax = 16;

// Numeric IPv4 or IPv6 text: the network has no name lookup (appliance/env/network.h).
bool IsNumericHost(std::string_view host) {
  if (host.empty()) return false;
  const bool v6 = host.find(':') != std::string_view::npos;
  for (char c : host) {
    const bool digit = c >= '0' && c <= '9';
    const bool hex = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!(digit || c == '.' || (v6 && (hex || c == ':')))) return false;
  }
  return true;
}

Status TakeBounded(ConfigSection& section, std::string_view key, int64_t min, int64_t max,
                   std::string_view unit, int64_t& out, bool& seen) {
  std::string expected = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!unit.empty()) expected += " (" + std::string(unit) + ")";
  auto value = section.TakeInteger(key, expected);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::Ok();
  if (**value < min || **value > max) return section.Invalid(key, expected);
  out = **value;
  seen = true;
  return Status::Ok();
}

// "http://10.0.0.9:8080/hook" -> address "10.0.0.9:8080", path "/hook". https:// is refused
// with its reason: the node's network has no client TLS yet.
Status ParseWebhookUrl(ConfigSection& section, const std::string& url, RoutingConfig& routing) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return section.Invalid("webhook_url", kWebhookExpected,
                           "https:// is not supported yet (no client TLS in the node's network)");
  }
  if (url.rfind(kScheme, 0) != 0) return section.Invalid("webhook_url", kWebhookExpected);
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  routing.webhook_path = slash == std::string::npos ? "/" : rest.substr(slash);
  for (char c : routing.webhook_path) {
    // The path goes into the request line as is: no space, control byte or fragment.
    if (c <= ' ' || c == 0x7f || c == '#') return section.Invalid("webhook_url", kWebhookExpected);
  }
  const size_t bracket = authority.rfind(']');
  const bool has_port =
      authority.find(':', bracket == std::string::npos ? 0 : bracket) != std::string::npos;
  if (!has_port) authority += ":80";
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(authority, host, port) || !IsNumericHost(host)) {
    return section.Invalid("webhook_url", kWebhookExpected);
  }
  routing.webhook_url = url;
  routing.webhook_address = authority;
  return Status::Ok();
}

}  // namespace

Status ParseRoutingSection(ConfigSection& section, Config& config) {
  RoutingConfig& routing = config.routing;
  auto primaries = section.TakeStringList("primaries", kPrimariesExpected);
  if (!primaries.ok()) return primaries.status();
  auto helo = section.TakeString("helo_name", kHeloExpected);
  if (!helo.ok()) return helo.status();
  auto webhook = section.TakeString("webhook_url", kWebhookExpected);
  if (!webhook.ok()) return webhook.status();
  bool seen = helo->has_value() || webhook->has_value();  // any key but primaries
  LB_RETURN_IF_ERROR(TakeBounded(section, "probe_interval_ms", kProbeIntervalMsMin,
                                 kProbeIntervalMsMax, "milliseconds", routing.probe_interval_ms,
                                 seen));
  LB_RETURN_IF_ERROR(TakeBounded(section, "probe_timeout_ms", kProbeTimeoutMsMin,
                                 kProbeIntervalMsMax, "milliseconds", routing.probe_timeout_ms,
                                 seen));
  LB_RETURN_IF_ERROR(TakeBounded(section, "failures_to_switch", 1, kCountMax, "",
                                 routing.failures_to_switch, seen));
  LB_RETURN_IF_ERROR(TakeBounded(section, "failure_window_ms", 1, kDurationMsMax, "milliseconds",
                                 routing.failure_window_ms, seen));
  LB_RETURN_IF_ERROR(TakeBounded(section, "successes_to_recover", 1, kCountMax, "",
                                 routing.successes_to_recover, seen));
  LB_RETURN_IF_ERROR(TakeBounded(section, "hold_down_ms", 0, kDurationMsMax, "milliseconds",
                                 routing.hold_down_ms, seen));
  if (!primaries->has_value()) {
    // Thresholds without primaries would silently probe nothing.
    if (seen) return section.Missing("primaries", kPrimariesExpected);
    return Status::Ok();
  }
  if ((*primaries)->empty() || (*primaries)->size() > kPrimariesMax) {
    return section.Invalid("primaries", kPrimariesExpected,
                           "between 1 and " + std::to_string(kPrimariesMax) + " primaries");
  }
  for (const std::string& primary : **primaries) {
    std::string host;
    uint16_t port = 0;
    if (!SplitHostPort(primary, host, port) || !IsNumericHost(host)) {
      return section.Invalid("primaries", kPrimariesExpected, "'" + primary + "'");
    }
    for (const std::string& seen : routing.primaries) {
      if (seen == primary) {
        return section.Invalid("primaries", kPrimariesExpected, "'" + primary + "' twice");
      }
    }
    routing.primaries.push_back(primary);
  }
  if (routing.probe_timeout_ms >= routing.probe_interval_ms) {
    return section.Invalid("probe_timeout_ms", "less than probe_interval_ms",
                           "a probe must end before the next one starts");
  }
  // N failures are at least (N - 1) probe intervals apart: a shorter window could never hold
  // them, and the primary would never be marked down.
  const int64_t span_ms = (routing.failures_to_switch - 1) * routing.probe_interval_ms;
  if (routing.failure_window_ms < span_ms) {
    return section.Invalid(
        "failure_window_ms",
        "at least (failures_to_switch - 1) x probe_interval_ms = " + std::to_string(span_ms),
        "the failures could never fall within the window");
  }
  if (helo->has_value()) {
    if ((*helo)->empty()) return section.Invalid("helo_name", kHeloExpected);
    routing.helo_name = **helo;
  } else {
    routing.helo_name = config.smtp.hostname.empty() ? "localhost" : config.smtp.hostname;
  }
  if (webhook->has_value()) LB_RETURN_IF_ERROR(ParseWebhookUrl(section, **webhook, routing));
  routing.enabled = true;
  return Status::Ok();
}

}  // namespace lifeboat::config
