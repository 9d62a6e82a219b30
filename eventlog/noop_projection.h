#pragma once
// A projection that folds nothing: it measures the runner's own cost (tests/bench/rebuild_bench)
// and keeps an applied index, which is all a runner needs to resume.

#include <string_view>

#include "eventlog/projection.h"

namespace lifeboat::eventlog {

class NoopProjection : public Projection {
 public:
  std::string_view name() const override { return "noop"; }
  Status Apply(const events::Event& /*event*/, ProjectionState& /*state*/) override {
    return Status::Ok();
  }
};

}  // namespace lifeboat::eventlog
