"""Benchmarks behind ``make bench``: each prints its figures as ratios against a reference
measured in the same run, on the same machine."""
