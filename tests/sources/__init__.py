"""Tests of codesim.sources."""
