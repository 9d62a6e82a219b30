#pragma once
// Received bytes not yet consumed by the session. Consuming from the front is O(1); the storage
// is compacted when the consumed prefix dominates, so a long pipelined stream stays linear.

#include <string>
#include <string_view>

#include "appliance/env/check.h"

namespace lifeboat::smtp {

class InputBuffer {
 public:
  void Append(std::string_view bytes) {
    if (start_ > 0 && start_ >= data_.size() / 2) {
      data_.erase(0, start_);
      start_ = 0;
    }
    data_.append(bytes);
  }
  std::string_view View() const { return std::string_view(data_).substr(start_); }
  size_t size() const { return data_.size() - start_; }
  bool empty() const { return size() == 0; }
  void Consume(size_t bytes) {
    LB_CHECK(bytes <= size());
    start_ += bytes;
    if (start_ == data_.size()) Clear();
  }
  void Clear() {
    data_.clear();
    start_ = 0;
  }

 private:
  std::string data_;
  size_t start_ = 0;
};

}  // namespace lifeboat::smtp
