"""Tests of codesim.simulation."""
