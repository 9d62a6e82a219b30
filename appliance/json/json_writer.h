#pragma once
// A small JSON text writer for logs and the admin API (RFC 8259). Produces one object at a time,
// keys in the order written; strings are escaped per RFC 8259 section 7 (control characters as
// \u00XX). Bytes that are not valid UTF-8 are passed through: callers log operator-facing text.

#include <cstdint>
#include <string>
#include <string_view>

namespace lifeboat::json {

// Appends `text` as a quoted JSON string to `out`.
void AppendQuoted(std::string& out, std::string_view text);

// Builds {"k":v,...}. Raw() inserts already-serialized JSON (a nested object, an array).
class ObjectWriter {
 public:
  ObjectWriter() : text_("{") {}
  ObjectWriter& String(std::string_view key, std::string_view value);
  ObjectWriter& Int(std::string_view key, int64_t value);
  ObjectWriter& Uint(std::string_view key, uint64_t value);
  ObjectWriter& Bool(std::string_view key, bool value);
  ObjectWriter& Double(std::string_view key, double value);
  ObjectWriter& Raw(std::string_view key, std::string_view json);
  // Closes the object and returns it; the writer must not be used afterwards.
  std::string Finish();

 private:
  void Key(std::string_view key);
  std::string text_;
  bool first_ = true;
};

}  // namespace lifeboat::json
