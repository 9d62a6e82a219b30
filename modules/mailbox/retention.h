#pragma once
// Retention: turns "keep N days" into MessagesPurged events (sans-I/O). The caller (a periodic
// task on the leader) passes the time from its Env and a folder listing (for instance
// MailboxReader::ListFolderReceivedBefore), and proposes the events it gets back; the mailbox
// projection then drops the entries and, at reference count zero, the bodies.
//
// A message's age is measured from when it was received (MessageEntry.received_unix_micros, the
// MailReceived event time), not its Date header, which the sender chooses.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/events.pb.h"
#include "modules/mailbox/mailbox.pb.h"

namespace lifeboat::mailbox {

// Messages purged per run: keeps each MessagesPurged event, and the batch that applies it, small.
inline constexpr size_t kRetentionBatchMessagesMax = 1000;
// A retention window longer than this is a configuration mistake (100 years).
inline constexpr uint32_t kRetentionDaysMax = 36500;

// Purge events for the messages in `listing` received more than `retention_days` before
// `now_unix_micros`, at most min(batch_messages_max, kRetentionBatchMessagesMax) messages in all,
// one event per mailbox in order of first appearance. Messages of the listing are taken in the
// order given. InvalidArgument when retention_days is 0 or above kRetentionDaysMax (0 would purge
// everything: never what an operator means).
Result<std::vector<events::MessagesPurged>> PlanRetentionPurge(
    int64_t now_unix_micros, uint32_t retention_days, std::span<const MessageEntry> listing,
    size_t batch_messages_max = kRetentionBatchMessagesMax);

}  // namespace lifeboat::mailbox
