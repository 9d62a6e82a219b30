#pragma once
// Names the calling thread, so `top -H`, `ps -L`, perf and gdb show which of the node's threads
// (loop, log commit, projections, ...) is busy. Linux allows 15 bytes; longer names are cut.

#include <pthread.h>

#include <string>
#include <string_view>

namespace lifeboat {

inline constexpr size_t kThreadNameBytesMax = 15;  // pthread_setname_np(3): 16 with the NUL

inline void NameThisThread(std::string_view name) {
  std::string cut(name.substr(0, kThreadNameBytesMax));
  pthread_setname_np(pthread_self(), cut.c_str());  // best effort: a name is only a label
}

}  // namespace lifeboat
