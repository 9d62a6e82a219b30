#pragma once
// Section parsers: each reads its keys from a ConfigSection into Config. They are called for
// every known section, with an empty ConfigSection when the file lacks it, so a parser reports a
// missing required key itself and fills defaults otherwise.

#include "appliance/config/config.h"
#include "appliance/config/config_tree.h"

namespace lifeboat::config {

Status ParseNodeSection(ConfigSection& section, Config& config);
Status ParseAdminSection(ConfigSection& section, Config& config);
Status ParseLogSection(ConfigSection& section, Config& config);
Status ParseTlsSection(ConfigSection& section, Config& config);
Status ParseEventlogSection(ConfigSection& section, Config& config);
Status ParseSmtpSection(ConfigSection& section, Config& config);
Status ParseDirectorySection(ConfigSection& section, Config& config);
Status ParseMailboxSection(ConfigSection& section, Config& config);
Status ParseRoutingSection(ConfigSection& section, Config& config);
Status ParseDeliverySection(ConfigSection& section, Config& config);
Status ParseWebmailSection(ConfigSection& section, Config& config);
Status ParseDkimSection(ConfigSection& section, Config& config);
Status ParseClusterSection(ConfigSection& section, Config& config);

}  // namespace lifeboat::config
