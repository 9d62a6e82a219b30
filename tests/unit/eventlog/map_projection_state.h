#pragma once
// A std::map standing in for the runner's `state` LevelDB where a test applies a projection by
// hand (directory, mailbox, the directory sync harness): Get sees earlier Puts at once, as the
// runner's overlay does within a batch. One for every test, instead of a copy in each.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/projection.h"

namespace lifeboat::eventlog::testing {

class MapProjectionState : public ProjectionState {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    auto found = values.find(key);
    if (found == values.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  void Put(std::string_view key, std::string_view value) override {
    values.insert_or_assign(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) override {
    if (auto found = values.find(key); found != values.end()) values.erase(found);
  }

  std::map<std::string, std::string, std::less<>> values;
};

}  // namespace lifeboat::eventlog::testing
