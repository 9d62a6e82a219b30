// [delivery]: relaying to the [routing] primaries (issue #11 Build 3). Every key is optional;
// without [routing] primaries nothing is relayed and the section only gets checked.
#include "appliance/config/sections.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kTlsExpected = "\"verify\", \"opportunistic\" or \"none\"";
constexpr int64_t kConcurrencyMax = 100;
constexpr int64_t kTimeoutMsMin = 100;
constexpr int64_t kDurationMsMax = 86'400'000;  // a day

Status TakeBounded(ConfigSection& section, std::string_view key, int64_t min, int64_t max,
                   int64_t& out) {
  const std::string expected = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  auto value = section.TakeInteger(key, expected);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::Ok();
  if (**value < min || **value > max) return section.Invalid(key, expected);
  out = **value;
  return Status::Ok();
}

}  // namespace

Status ParseDeliverySection(ConfigSection& section, Config& config) {
  DeliveryConfig& delivery = config.delivery;
  LB_RETURN_IF_ERROR(TakeBounded(section, "concurrency", 1, kConcurrencyMax, delivery.concurrency));
  LB_RETURN_IF_ERROR(TakeBounded(section, "connect_timeout_ms", kTimeoutMsMin, kDurationMsMax,
                                 delivery.connect_timeout_ms));
  LB_RETURN_IF_ERROR(TakeBounded(section, "retry_initial_ms", kTimeoutMsMin, kDurationMsMax,
                                 delivery.retry_initial_ms));
  auto reuse = section.TakeBool("connection_reuse", "true or false");
  if (!reuse.ok()) return reuse.status();
  if (reuse->has_value()) delivery.connection_reuse = **reuse;
  auto tls = section.TakeString("tls", kTlsExpected);
  if (!tls.ok()) return tls.status();
  if (tls->has_value()) {
    if (**tls == "verify") {
      delivery.tls = DeliveryTls::kVerify;
    } else if (**tls == "opportunistic") {
      delivery.tls = DeliveryTls::kOpportunistic;
    } else if (**tls == "none") {
      delivery.tls = DeliveryTls::kNone;
    } else {
      return section.Invalid("tls", kTlsExpected);
    }
  }
  auto ca_file = section.TakeString("ca_file", "a path to a PEM file");
  if (!ca_file.ok()) return ca_file.status();
  if (ca_file->has_value()) delivery.ca_file = **ca_file;
  auto server_name = section.TakeString("tls_server_name", "a host name");
  if (!server_name.ok()) return server_name.status();
  if (server_name->has_value()) delivery.tls_server_name = **server_name;
  return Status::Ok();
}

}  // namespace lifeboat::config
