#include "modules/smtp/policy/chain.h"

#include "appliance/env/check.h"

namespace lifeboat::smtp {

void PolicyChain::Add(std::unique_ptr<PolicyFilter> filter) {
  LB_CHECK(filter != nullptr);
  filters_.push_back(std::move(filter));
}

template <typename Stage>
FilterVerdict PolicyChain::Run(Stage stage) const {
  for (const auto& filter : filters_) {
    FilterVerdict verdict = stage(*filter);
    if (verdict.stop) {
      LB_CHECK(verdict.reply.IsError());  // a filter stops only to refuse
      return verdict;
    }
  }
  return FilterVerdict::Continue();
}

FilterVerdict PolicyChain::RunConnect(const PolicyContext& context) const {
  return Run([&](PolicyFilter& filter) { return filter.OnConnect(context); });
}

FilterVerdict PolicyChain::RunHelo(const PolicyContext& context) const {
  return Run([&](PolicyFilter& filter) { return filter.OnHelo(context); });
}

FilterVerdict PolicyChain::RunMail(const PolicyContext& context, const Path& sender,
                                   const MailParameters& parameters) const {
  return Run([&](PolicyFilter& filter) { return filter.OnMail(context, sender, parameters); });
}

FilterVerdict PolicyChain::RunRcpt(const PolicyContext& context, const Path& recipient) const {
  return Run([&](PolicyFilter& filter) { return filter.OnRcpt(context, recipient); });
}

FilterVerdict PolicyChain::RunData(const PolicyContext& context) const {
  return Run([&](PolicyFilter& filter) { return filter.OnData(context); });
}

}  // namespace lifeboat::smtp
