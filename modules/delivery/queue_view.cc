#include "modules/delivery/queue_view.h"

#include <mutex>

#include "appliance/env/check.h"

namespace lifeboat::delivery {

std::vector<QueuedMail> DeliveryQueueView::Snapshot() const {
  return AddedAfter(0);
}

std::vector<QueuedMail> DeliveryQueueView::AddedAfter(uint64_t event_index) const {
  std::shared_lock lock(mutex_);
  std::vector<QueuedMail> mails;
  for (auto it = by_index_.upper_bound(event_index); it != by_index_.end(); ++it) {
    mails.push_back(it->second);
  }
  return mails;
}

size_t DeliveryQueueView::size() const {
  std::shared_lock lock(mutex_);
  return by_index_.size();
}

size_t DeliveryQueueView::recipients() const {
  std::shared_lock lock(mutex_);
  size_t count = 0;
  for (const auto& [index, mail] : by_index_) count += mail.rcpt_to.size();
  return count;
}

void DeliveryQueueView::Put(QueuedMail mail) {
  LB_CHECK(!mail.mail_id.empty() && !mail.rcpt_to.empty());
  std::unique_lock lock(mutex_);
  auto known = index_of_.find(mail.mail_id);
  if (known != index_of_.end()) {
    LB_CHECK(known->second == mail.event_index);  // a mail id names one MailReceived
  } else {
    index_of_.emplace(mail.mail_id, mail.event_index);
  }
  const uint64_t index = mail.event_index;
  by_index_.insert_or_assign(index, std::move(mail));
}

void DeliveryQueueView::Remove(const std::string& mail_id) {
  std::unique_lock lock(mutex_);
  auto known = index_of_.find(mail_id);
  if (known == index_of_.end()) return;
  by_index_.erase(known->second);
  index_of_.erase(known);
}

void DeliveryQueueView::Clear() {
  std::unique_lock lock(mutex_);
  by_index_.clear();
  index_of_.clear();
}

}  // namespace lifeboat::delivery
