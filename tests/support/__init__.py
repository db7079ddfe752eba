"""Helpers shared by every test tier: the isolated environment, warehouse queries, archive zips,
an archive mirror served over HTTP, runs of the exchange source and their raw tables, demo
stand-ins run from the command line, and git repositories built for a test."""
