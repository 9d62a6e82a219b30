#pragma once
// The version of this build, from project(lifeboat VERSION ...) in the top-level CMakeLists.txt.

#include <string_view>

namespace lifeboat {

#ifndef LIFEBOAT_VERSION
#error "LIFEBOAT_VERSION is set by appliance/CMakeLists.txt (target lifeboat_version)"
#endif
inline constexpr std::string_view kLifeboatVersion = LIFEBOAT_VERSION;

}  // namespace lifeboat
