"""Lifeboat integration-test harness: start real `lifeboat` nodes and the daemons around them.

Python 3 standard library only. Every wait is bounded and polls a condition (no fixed sleeps);
every port is picked at run time; every file lives in a temporary directory removed at the end.
"""
