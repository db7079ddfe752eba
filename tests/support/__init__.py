"""Helpers shared by every test tier: the isolated environment, warehouse queries, archive zips
and git repositories built for a test."""
