"""Free TCP ports on the loopback interface, picked at run time."""

import socket


def free_port():
    """A port nothing listens on right now (the kernel's pick for port 0).

    Another process could take it before the node binds it; the node then fails to start with a
    clear error and the test fails, which is rare enough on a test machine.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
