#include "appliance/admin/event_json.h"

#include <google/protobuf/util/json_util.h>

#include "eventlog/events.pb.h"

namespace lifeboat::admin {

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
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(event, &json, options);
  if (!status.ok()) {
    return Status::Corruption("log record " + std::to_string(record.index) +
                              ": cannot render as JSON: " + std::string(status.message()));
  }
  if (raw_bytes.has_value()) {
    // proto3 JSON omits the cleared field; put its length where it was. The key can only occur
    // once unescaped: inside string values every '"' is escaped.
    constexpr std::string_view kKey = "\"mail_received\":{";
    size_t at = json.find(kKey);
    if (at != std::string::npos) {
      size_t insert_at = at + kKey.size();
      std::string field = "\"raw_bytes\":" + std::to_string(*raw_bytes);
      if (json[insert_at] != '}') field += ",";
      json.insert(insert_at, field);
    }
  }
  return json;
}

}  // namespace lifeboat::admin
