"""Temporary directories for a test, removed at the end (also on failure)."""

import shutil
import tempfile


def make(add_cleanup, prefix="lifeboat-it-"):
    """A fresh directory under $TMPDIR; `add_cleanup` (TestCase.addCleanup or addClassCleanup)
    removes it when the test or class ends, whatever the outcome."""
    directory = tempfile.mkdtemp(prefix=prefix)
    add_cleanup(shutil.rmtree, directory, ignore_errors=True)
    return directory
