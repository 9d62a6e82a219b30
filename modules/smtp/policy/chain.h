#pragma once
// The ordered list of policy filters a listener applies to each of its sessions. The first filter
// that stops decides the reply; when none stops, the session accepts the command.
// Owned by the listener; must outlive every Session that references it.

#include <memory>
#include <vector>

#include "modules/smtp/policy/filter.h"

namespace lifeboat::smtp {

class PolicyChain {
 public:
  void Add(std::unique_ptr<PolicyFilter> filter);

  FilterVerdict RunConnect(const PolicyContext& context) const;
  FilterVerdict RunHelo(const PolicyContext& context) const;
  FilterVerdict RunMail(const PolicyContext& context, const Path& sender,
                        const MailParameters& parameters) const;
  FilterVerdict RunRcpt(const PolicyContext& context, const Path& recipient) const;
  FilterVerdict RunData(const PolicyContext& context) const;

 private:
  template <typename Stage>
  FilterVerdict Run(Stage stage) const;

  std::vector<std::unique_ptr<PolicyFilter>> filters_;
};

}  // namespace lifeboat::smtp
