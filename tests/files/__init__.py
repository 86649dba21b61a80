"""Tests of codesim.files."""
