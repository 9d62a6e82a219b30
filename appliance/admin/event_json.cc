#include "appliance/admin/event_json.h"

#include <google/protobuf/util/json_util.h>

#include <string>
#include <utility>
#include <vector>

#include "eventlog/events.pb.h"

namespace lifeboat::admin {
namespace {

// What stands in the JSON for a secret `lifeboat log` must never print.
constexpr std::string_view kRedacted = "\"[redacted]\"";

// Puts `field` first in the object that follows `key` ("\"name\":{"). The key can only occur
// once unescaped: inside string values every '"' is escaped.
void InsertFirstField(std::string& json, std::string_view key, const std::string& field) {
  size_t at = json.find(key);
  if (at == std::string::npos) return;
  size_t insert_at = at + key.size();
  json.insert(insert_at, json[insert_at] == '}' ? field : field + ",");
}

// Clears the secrets of an auth event before rendering; returns the JSON keys to mark as
// redacted. A TOTP key is the shared secret itself (RFC 6238); a verifier lets an attacker guess
// passwords offline. Digests of codes and session ids stay: they identify, they do not unlock.
std::vector<std::pair<std::string_view, std::string>> RedactAuth(events::Event& event) {
  std::vector<std::pair<std::string_view, std::string>> marks;
  if (!event.has_auth()) return marks;
  auto* auth = event.mutable_auth();
  if (auth->has_totp_enrolled()) {
    auth->mutable_totp_enrolled()->clear_secret();
    marks.emplace_back("\"totp_enrolled\":{", "\"secret\":" + std::string(kRedacted));
  }
  if (auth->has_credential_cached()) {
    auth->mutable_credential_cached()->clear_verifier_phc();
    marks.emplace_back("\"credential_cached\":{", "\"verifier_phc\":" + std::string(kRedacted));
  }
  return marks;
}

}  // namespace

Result<std::string> RecordToJson(const eventlog::LogRecord& record) {
  events::Event event;
  if (!event.ParseFromString(record.payload)) {
    return Status::Corruption("log record " + std::to_string(record.index) +
                              ": payload is not an events.Event");
  }
  event.set_index(record.index);
  event.set_term(record.term);
  std::optional<size_t> raw_bytes;
  if (event.has_mail_received()) {
    raw_bytes = event.mail_received().raw().size();
    event.mutable_mail_received()->clear_raw();
  }
  auto redactions = RedactAuth(event);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(event, &json, options);
  if (!status.ok()) {
    return Status::Corruption("log record " + std::to_string(record.index) +
                              ": cannot render as JSON: " + std::string(status.message()));
  }
  if (raw_bytes.has_value()) {
    // proto3 JSON omits the cleared field; put its length where it was.
    InsertFirstField(json, "\"mail_received\":{", "\"raw_bytes\":" + std::to_string(*raw_bytes));
  }
  for (const auto& [key, field] : redactions) InsertFirstField(json, key, field);
  return json;
}

}  // namespace lifeboat::admin
