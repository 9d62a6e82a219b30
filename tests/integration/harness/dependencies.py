"""External tools a test needs: a missing one fails the test and says what to install."""

import shutil

# Binary -> Debian package that ships it.
PACKAGE_OF = {
    "swaks": "swaks",
    "smtp-source": "postfix",
    "fiu-run": "fiu-utils",
    "fiu-ctrl": "fiu-utils",
    "openssl": "openssl",
    "testssl": "testssl.sh",
    "mount": "mount",
    "umount": "mount",
}


def require(binary):
    """The absolute path of `binary`; raises AssertionError (a test failure) when it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if found is None:
        package = PACKAGE_OF.get(binary, binary)
        raise AssertionError(
            f"'{binary}' is not installed: run `apt-get install -y {package}` (Debian)")
    return found
