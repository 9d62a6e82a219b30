#pragma once
// Shared by the mail route files (mail_routes.cc, mail_changes.cc, mail_send.cc) only.

#include <google/protobuf/message.h>

#include <string_view>

#include "appliance/env/status.h"
#include "modules/mailbox/mailbox.pb.h"
#include "modules/webmail/reply.h"

namespace lifeboat::webmail::internal {

// Where delete moves a message; a delete in it purges.
inline constexpr std::string_view kTrashFolder = "Trash";

// JSON with every field printed, defaults included (the contract's "seen": false, "next": "").
Reply MailJsonReply(int status, const google::protobuf::Message& message);
// Unknown fields, wrong types and malformed JSON are refused.
bool ParseJsonBody(std::string_view body, google::protobuf::Message& message);
// NotFound: 404 (another user's message is not found either); anything else: 503.
Reply StoreError(const Status& status);
bool ValidMessageId(std::string_view id);
bool ValidFolderName(std::string_view name);
bool HasFlag(const mailbox::MessageEntry& entry, std::string_view flag);

}  // namespace lifeboat::webmail::internal
