#pragma once
// A map with a size bound that forgets its least recently touched entry first: the throttle's
// and the session-activity tables, where an attacker choosing keys (addresses, user names) must
// not grow memory without bound.

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::auth {

template <typename Value>
class LruTable {
 public:
  explicit LruTable(size_t entries_max) : entries_max_(entries_max) { LB_CHECK(entries_max > 0); }

  // The entry for `key`, or null. Does not touch it.
  Value* Find(const std::string& key) {
    auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->second;
  }
  // The entry for `key`, created (value-initialized) if absent, and made the most recent. May
  // forget the least recent entry to stay within the bound.
  Value& Touch(const std::string& key) {
    auto found = index_.find(key);
    if (found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      return found->second->second;
    }
    if (order_.size() == entries_max_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, Value{});
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }
  void Erase(const std::string& key) {
    auto found = index_.find(key);
    if (found == index_.end()) return;
    order_.erase(found->second);
    index_.erase(found);
  }
  size_t size() const { return order_.size(); }

 private:
  using Entry = std::pair<std::string, Value>;
  size_t entries_max_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
};

}  // namespace lifeboat::auth
