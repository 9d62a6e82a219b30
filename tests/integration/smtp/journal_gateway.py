"""A private Postfix 3.7 instance on loopback standing in for the primary's mail gateway, with
journaling on: `always_bcc` (postconf(5)) adds a journal recipient to every message, and a
transport_maps entry relays that copy to the Lifeboat node. With per_recipient, also
`recipient_bcc_maps` naming each original recipient in a journal address of its own
("journal+bob=example.test@...", modules/mailbox/journal.h), so Bcc recipients reach the
history. Everything else is discarded: the primary mailbox is not what the journal tests look at.

Ownership: a JournalGateway owns its Postfix instance (harness/postfix_instance.py: started and
stopped by the master's PID) and the files under `workdir`. Runs as root (Postfix's master must),
like tests/bench/smtp.
"""

import os

from harness import dependencies
from harness import ports
from harness.postfix_instance import PostfixInstance

GATEWAY_HOSTNAME = "gw.primary.test"

# The gateway accepts anything from loopback (mynetworks) and discards it, except the journal
# copy: transport_maps sends journal@... to the node over SMTP from 127.0.0.1 (smtp_bind_address),
# the address the node lists in [smtp] journal_networks. No DNS: the next hop is a bracketed IP.
MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue_dir}
data_directory = {data_dir}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {hostname}
mydomain = primary.test
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_banner = $myhostname ESMTP
always_bcc = {journal_address}
transport_maps = inline:{{ {journal_address}=smtp:[127.0.0.1]:{lifeboat_port} }}
default_transport = discard:primary
relay_transport = discard:primary
local_transport = discard:primary
virtual_transport = discard:primary
smtp_bind_address = 127.0.0.1
smtp_dns_support_level = disabled
smtp_tls_security_level = none
biff = no
maillog_file = {data_dir}/maillog
# postconf(5): the log file must be under one of these (default /var, /dev/stdout).
maillog_file_prefixes = {data_dir}
syslog_name = postfix-journal-it
"""

# per_recipient: one journal address per original recipient, VERP-style; recipient_delimiter
# makes transport_maps find "journal@" for those addresses too (transport(5)).
PER_RECIPIENT_CF = """recipient_bcc_maps = regexp:{conf_dir}/journal_recipients
recipient_delimiter = +
"""
PER_RECIPIENT_MAP = """/^(.+)@(.+)$/ {journal_local}+${{1}}=${{2}}@{journal_domain}
"""

# Only the services this path needs, none chrooted (the instance lives in a temp dir).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class JournalGateway:
    """Postfix on 127.0.0.1:`port` bcc'ing every message to `journal_address`, which it relays
    to 127.0.0.1:`lifeboat_port`."""

    def __init__(self, workdir, journal_address, lifeboat_port, per_recipient=False):
        dependencies.require("postfix")
        self.journal_address = journal_address
        self.lifeboat_port = lifeboat_port
        self.per_recipient = per_recipient
        self.port = ports.free_port()
        self.instance = PostfixInstance(workdir, self.port)

    def start(self):
        values = self.instance.prepare()
        values.update(hostname=GATEWAY_HOSTNAME, journal_address=self.journal_address,
                      lifeboat_port=self.lifeboat_port)
        main_cf = MAIN_CF.format(**values)
        if self.per_recipient:
            main_cf += PER_RECIPIENT_CF.format(**values)
            local, domain = self.journal_address.split("@")
            with open(os.path.join(values["conf_dir"], "journal_recipients"), "w",
                      encoding="utf-8") as out:
                out.write(PER_RECIPIENT_MAP.format(journal_local=local, journal_domain=domain))
        self.instance.start(main_cf, MASTER_CF.format(**values))

    def stop(self):
        self.instance.stop()

    def queued_files(self):
        """Messages still in the queue (a journal copy the node has not taken yet)."""
        return self.instance.queued_files()

    def maillog_tail(self):
        return self.instance.maillog_tail()
