"""Composition roots: the command line, the web server and the workers."""
