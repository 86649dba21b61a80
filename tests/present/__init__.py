"""Tests of codesim.present."""
