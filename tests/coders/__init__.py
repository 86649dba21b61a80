"""Tests of codesim.coders."""
