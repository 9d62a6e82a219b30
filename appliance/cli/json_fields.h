#pragma once
// Reading the admin API's JSON for human output: `mailbox` and `directory` print the same JSON
// lines with --json and aligned columns without, whether the lines came from the running node or
// from the data dir.

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::cli {

// One JSON object per non-empty line. Corruption naming the line when one does not parse.
Result<std::vector<google::protobuf::Struct>> ParseJsonLines(std::string_view text);

// A field as text: strings as they are, numbers as integers, booleans "yes"/"no", lists joined
// with ", ", objects as "k v, ...". "" when absent.
std::string FieldText(const google::protobuf::Struct& object, const std::string& key);
// A numeric field, 0 when absent or not a number.
double FieldNumber(const google::protobuf::Struct& object, const std::string& key);

// "2026-11-28 19:50" (UTC) for a Unix time in microseconds.
std::string FormatUnixMicros(int64_t micros, bool with_seconds = false);
// "512", "1.5K", "2.0M".
std::string HumanBytes(uint64_t bytes);
// `text` cut (on a UTF-8 character boundary, with "…" when cut) and padded to `width` columns,
// counting one column per character.
std::string FitColumn(std::string_view text, size_t width);

}  // namespace lifeboat::cli
