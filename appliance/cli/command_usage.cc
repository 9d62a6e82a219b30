#include "appliance/cli/command_usage.h"

#include <cstdio>

namespace lifeboat::cli {
namespace {

constexpr std::string_view kConfigLine =
    "  --config FILE   the node's config (else $LIFEBOAT_CONFIG, /etc/lifeboat/lifeboat.toml,\n"
    "                  /var/lib/lifeboat-demo/lifeboat.toml)\n";

// One command or subcommand. `subcommand` is "" for the command itself; a command with
// subcommands has no synopsis of its own (its help lists theirs).
struct CommandUsage {
  std::string_view command;
  std::string_view subcommand;
  std::string_view synopsis;  // after "lifeboat ", without the --config option
  std::string_view summary;   // what it does, a line or two
  std::string_view options;   // one line per option, "" when none but --config
  bool takes_config = true;
};

constexpr CommandUsage kCommands[] = {
    {"serve", "", "serve", "Runs the node until SIGTERM/SIGINT (drains first); SIGHUP reloads TLS.",
     ""},
    {"status", "", "status [--json] [--wait-applied]",
     "Identity, log and projection indices, listeners, SMTP counters, directory state. A stopped\n"
     "node is read from its data dir (\"running: no\").",
     "  --json          one JSON object\n"
     "  --wait-applied  answer once the views hold all the log held when asked (at most 8 s);\n"
     "                  the node must be running\n"},
    {"log", "tail", "log tail [-n N] [--before INDEX]",
     "The last events of the log as JSON lines, oldest first; when older events remain, stderr\n"
     "ends with the command for the previous page (\"more: ...\").",
     "  -n N            how many events (default 10, at most 1000)\n"
     "  --before INDEX  the N events just before log index INDEX (the previous page)\n"},
    {"log", "show", "log show INDEX", "One event of the log as JSON.", ""},
    {"rebuild", "", "rebuild",
     "Node stopped: wipes the projections and replays the log; prints the state hash. Shows\n"
     "progress on a terminal.",
     ""},
    {"mailbox", "ls", "mailbox ls [--limit N] [--json]", "The mailboxes, by id.",
     "  --limit N       how many (default 100, at most 500)\n"
     "  --json          one JSON object per line\n"},
    {"mailbox", "list", "mailbox list ADDRESS [--folder NAME] [--limit N] [--after ID] [--json]",
     "The messages of a mailbox (ADDRESS: an address or a mailbox id), newest first. When more\n"
     "remain, the last line is the command for the next page (\"more: ...\").",
     "  --folder NAME   one folder only (default: every folder)\n"
     "  --limit N       messages per page (default 50, at most 500)\n"
     "  --after ID      the page after message ID (the last ID of the previous page)\n"
     "  --json          one JSON object per message; then {\"next_after\":ID} when more remain\n"},
    {"mailbox", "show", "mailbox show ADDRESS MESSAGE_ID [--raw] [--json]",
     "One message's metadata.",
     "  --raw           then the message exactly as received\n"
     "  --json          the metadata as JSON\n"},
    {"directory", "status", "directory status [--json]",
     "Entries, import outcome, LDAP server, last sync success and its age, last error.",
     "  --json          one JSON object\n"},
    {"directory", "sync", "directory sync --now [--full] [--confirm-mass-deprovision]",
     "One LDAP sync now, in the node; waits for its outcome (progress on a terminal).",
     "  --now           required: the node also syncs periodically\n"
     "  --full          a full sync instead of an incremental one\n"
     "  --confirm-mass-deprovision  apply it even if it removes many users\n"},
    {"directory", "import", "directory import [--confirm-mass-deprovision]",
     "Re-imports the configured CSV/LDIF file, in the node; waits for its outcome.",
     "  --confirm-mass-deprovision  apply it even if it removes many users\n"},
    {"directory", "show", "directory show ADDRESS_OR_ID", "One directory entry as JSON.", ""},
    {"directory", "search", "directory search TEXT [--limit N] [--json]",
     "Directory entries matching TEXT.",
     "  --limit N       how many (default 20, at most 200)\n"
     "  --json          one JSON object per line\n"},
    {"route", "status", "route status [--json]",
     "Continuity routing: the mode of each scope and since when, each primary's state and its\n"
     "latest probes. The node must be running.",
     "  --json          one JSON object\n"},
    {"route", "force", "route force continuity|normal --reason TEXT [--scope SCOPE]",
     "Forces SCOPE to continuity (keep mail, serve webmail) or normal (relay to the primary)\n"
     "whatever the probes say; one RoutingChanged event with the operator and the reason.",
     "  --reason TEXT   why (required: it goes into the log)\n"
     "  --scope SCOPE   all (default), domain:DOMAIN or group:DIRECTORY_ID\n"
     "  --operator NAME who (default $USER)\n"},
    {"route", "auto", "route auto --reason TEXT [--scope SCOPE]",
     "Hands SCOPE back to automatic routing (the probes decide); one RoutingChanged event.",
     "  --reason TEXT   why (required: it goes into the log)\n"
     "  --scope SCOPE   all (default), domain:DOMAIN or group:DIRECTORY_ID\n"
     "  --operator NAME who (default $USER)\n"},
    {"auth", "codes", "auth codes --user ADDRESS [--count N] [--json]",
     "Break-glass activation codes for a user who never logged in to the webmail: print them and\n"
     "hand them out on paper. The node keeps only their SHA-256; each works once, for 90 days.",
     "  --user ADDRESS  the user's address (or directory id)\n"
     "  --count N       how many codes (default 5, at most 10)\n"
     "  --json          one JSON object per code\n"},
    {"update", "apply", "update apply BUNDLE [--slots DIR] [--key PEM]",
     "Verifies the signed update BUNDLE (Ed25519) and only then writes its image to the inactive\n"
     "slot, which boots next on trial: without a confirmation it falls back by itself.",
     "  --slots DIR     the slots directory (default $LIFEBOAT_UPDATE_SLOTS, else\n"
     "                  /var/lib/lifeboat-slots)\n"
     "  --key PEM       the public key (default /etc/lifeboat/update-key.pem)\n",
     false},
    {"update", "status", "update status [--slots DIR]",
     "The active slot, whether it is confirmed or on trial, and each slot's version.",
     "  --slots DIR     the slots directory\n", false},
    {"update", "rollback", "update rollback [--slots DIR]",
     "Makes the other slot active and confirmed: it boots next.",
     "  --slots DIR     the slots directory\n", false},
    {"cluster", "init", "cluster init --dir DIR --nodes N --addresses HOST:PORT,...",
     "Makes a cluster CA and one certificate per node in DIR and prints each node's [cluster]\n"
     "config section.",
     "  --dir DIR       an absolute path (created 0700)\n"
     "  --nodes N       how many nodes (1 to 9)\n"
     "  --addresses A   each node's cluster listen address, comma-separated, node 1 first\n",
     false},
    {"cluster", "status", "cluster status [--json]",
     "This node's view of the Raft cluster: role, term, leader, commit and applied indices.\n"
     "The node must be running.",
     "  --json          one JSON object\n"},
    {"demo", "", "demo [--data-dir DIR]",
     "Creates a demo data dir if needed (config, certificate, demo company) and serves it.",
     "  --data-dir DIR  an absolute path (default /var/lib/lifeboat-demo)\n", false},
    {"sim", "",
     "sim [--cluster] [--scenario FILE] --seed N [--json FILE] [--svg FILE] | --seeds A..B "
     "[--jobs J] [--minutes M]",
     "The failover-drill simulator: a node under seeded crashes, power cuts, full disks,\n"
     "network faults and primary outages, in virtual time; checks no acknowledged mail is lost\n"
     "and routing fails over and back in time. With --cluster, three Raft nodes. One seed prints\n"
     "its report; a range prints the failing seeds and how to replay one. Exit 1 on a violation.",
     "  --seed N        one run (the same seed on the same build replays it exactly)\n"
     "  --seeds A..B    a swarm of runs\n"
     "  --cluster       a three-node Raft cluster instead of one node (no --scenario, --json)\n"
     "  --jobs J        processes for a swarm (default 1)\n"
     "  --minutes M     virtual minutes of faults and mail per run (default 10)\n"
     "  --scenario FILE the duration, mail and fault schedule from a TOML file\n"
     "                  (simulator/scenarios/, keys in simulator/scenario.h)\n"
     "  --json FILE     with --seed: also write the report as JSON to FILE\n"
     "  --svg FILE      with --seed: also write the drill's timeline as SVG to FILE\n",
     false},
    {"version", "", "version", "The version and the data dir schema.", "", false},
};

bool HasSubcommands(std::string_view command) {
  for (const CommandUsage& usage : kCommands) {
    if (usage.command == command && !usage.subcommand.empty()) return true;
  }
  return false;
}

std::string SynopsisLine(const CommandUsage& usage) {
  std::string line = "lifeboat " + std::string(usage.synopsis);
  if (usage.takes_config) line += " [--config FILE]";
  return line + "\n";
}

void PrintEntry(const CommandUsage& usage) {
  std::string text = "usage: " + SynopsisLine(usage) + std::string(usage.summary) + "\n";
  if (!usage.options.empty() || usage.takes_config) text += "options:\n";
  text += usage.options;
  if (usage.takes_config) text += kConfigLine;
  std::fputs(text.c_str(), stdout);
}

}  // namespace

std::string GlobalUsage() {
  std::string out;
  for (const CommandUsage& usage : kCommands) {
    out += (out.empty() ? "usage: " : "       ") + SynopsisLine(usage);
  }
  out += "       lifeboat COMMAND [SUBCOMMAND] --help\n";
  out +=
      "Without --config: $LIFEBOAT_CONFIG, then /etc/lifeboat/lifeboat.toml, then\n"
      "/var/lib/lifeboat-demo/lifeboat.toml.\n";
  return out;
}

bool WantsHelp(const Args& args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

int PrintCommandHelp(std::string_view command, const Args& args) {
  if (HasSubcommands(command)) {
    // The first argument that names a subcommand ("mailbox --json list --help" is list's).
    for (const std::string& arg : args) {
      for (const CommandUsage& usage : kCommands) {
        if (usage.command == command && usage.subcommand == arg) {
          PrintEntry(usage);
          return kExitOk;
        }
      }
    }
    // The command alone (or an unknown subcommand): every subcommand's synopsis and summary.
    std::string text = "usage:\n";
    for (const CommandUsage& usage : kCommands) {
      if (usage.command != command) continue;
      std::string summary(usage.summary);
      for (size_t at = summary.find('\n'); at != std::string::npos; at = summary.find('\n', at)) {
        summary.replace(at, 1, "\n      ");
        at += 7;
      }
      text += "  " + SynopsisLine(usage) + "      " + summary + "\n";
    }
    text += "`lifeboat " + std::string(command) + " SUBCOMMAND --help` explains its options.\n";
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  for (const CommandUsage& usage : kCommands) {
    if (usage.command == command) {
      PrintEntry(usage);
      return kExitOk;
    }
  }
  return UsageError("unknown command \"" + std::string(command) + "\"");
}

}  // namespace lifeboat::cli
