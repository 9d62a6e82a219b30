#include "appliance/cli/json_fields.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <ctime>

namespace lifeboat::cli {
namespace {

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += IsContinuationByte(c) ? 0 : 1;
  return count;
}

std::string ValueText(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kNumberValue: {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.0f", value.number_value());
      return buffer;
    }
    case google::protobuf::Value::kBoolValue:
      return value.bool_value() ? "yes" : "no";
    case google::protobuf::Value::kListValue: {
      std::string out;
      for (const auto& item : value.list_value().values()) {
        out += (out.empty() ? "" : ", ") + ValueText(item);
      }
      return out;
    }
    case google::protobuf::Value::kStructValue: {
      std::string out;
      for (const auto& [name, inner] : value.struct_value().fields()) {
        out += (out.empty() ? "" : ", ") + name + " " + ValueText(inner);
      }
      return out;
    }
    default:
      return "";
  }
}

}  // namespace

Result<std::vector<google::protobuf::Struct>> ParseJsonLines(std::string_view text) {
  std::vector<google::protobuf::Struct> objects;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (line.empty()) continue;
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok()) {
      return Status::Corruption("line " + std::to_string(line_number) + " is not a JSON object");
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

std::string FieldText(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "" : ValueText(it->second);
}

double FieldNumber(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() || !it->second.has_number_value()) return 0;
  return it->second.number_value();
}

std::string FormatUnixMicros(int64_t micros, bool with_seconds) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "?";
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), with_seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M",
                &utc);
  return buffer;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes);
  char buffer[32];
  const char* units = "KMGT";
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < 4) {
    value /= 1024;
    ++unit;
  }
  std::snprintf(buffer, sizeof(buffer), "%.1f%c", value, units[unit]);
  return buffer;
}

std::string FitColumn(std::string_view text, size_t width) {
  if (width == 0) return "";
  std::string out;
  size_t count = CharacterCount(text);
  if (count <= width) {
    out = std::string(text);
    out.append(width - count, ' ');
    return out;
  }
  // Keep width - 1 characters and mark the cut.
  size_t kept = 0;
  size_t end = 0;
  while (end < text.size()) {
    if (!IsContinuationByte(text[end])) {
      if (kept == width - 1) break;
      ++kept;
    }
    ++end;
  }
  out = std::string(text.substr(0, end));
  out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
  return out;
}

}  // namespace lifeboat::cli
