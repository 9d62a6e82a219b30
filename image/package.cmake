# CPack .deb of the node: see image/README.md.
