"""Every stream is decoded back and compared: a coder that decodes wrongly, or not at all, is reported as
unverified by the library and fails every command that measures, never a silent "verified = true".

A deliberately broken scheme is registered for the length of each test only.
"""

import numpy as np
import pytest
from click.testing import CliRunner

from codesim import experiments, load
from codesim.cli import main
from codesim.coders import registry
from codesim.coders.base import PrefixCode
from codesim.errors import DecodeError
from codesim.simulate import code_message, simulate_many

from .conftest import SCENARIOS
from .hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")


class _Refuses(PrefixCode):
    """Encodes as a fixed-length code, and refuses every stream it is asked to decode."""

    def decode(self, bits, n):
        raise DecodeError("this decoder refuses every stream")


class _Garbles(PrefixCode):
    """Encodes as a fixed-length code, and decodes with the first symbol changed."""

    def decode(self, bits, n):
        out = super().decode(bits, n).copy()
        if n:
            out[0] = (int(out[0]) + 1) % self.size
        return out


@pytest.fixture(params=[_Refuses, _Garbles], ids=["decode-raises", "decode-differs"])
def broken(request, monkeypatch):
    cls = request.param

    def build(q):
        size = len(q)
        return cls([max(1, (size - 1).bit_length())] * size, "broken")

    scheme = registry.Scheme("broken", "a scheme whose decoder is wrong", build, lambda c: build(c["lengths"]))
    monkeypatch.setitem(registry._REGISTRY, "broken", scheme)
    return "broken"


def test_code_message_reports_a_failed_round_trip(broken):
    coder = registry.build(broken, [0.25] * 4)
    bits, ok, _, _ = code_message(coder, np.array([0, 1, 2, 3, 3]))
    assert bits == 10 and ok is False


def test_simulate_converge_and_sweep_record_verified_false(broken):
    sc = load(NASA)
    found = simulate_many(sc.source, {"uniform": sc.models["uniform"]}, ["huffman", broken], length=500, trials=2,
                          seed=1)
    assert [m.verified for m in found] == [True, False]
    points = experiments.converge(sc.select_models(["uniform"]), [10, 100], schemes=["huffman", broken], trials=2,
                                  seed=1)
    assert {(p.scheme, p.verified) for p in points} == {("huffman", True), (broken, False)}
    points = experiments.sweep(sc.select_models(["uniform"]), mix=[0.0, 1.0], schemes=["huffman", broken],
                               length=300, trials=2, seed=1)
    assert {(p.scheme, p.verified) for p in points} == {("huffman", True), (broken, False)}


@pytest.mark.parametrize("command", [
    ["run", NASA],
    ["compare", NASA],
    ["converge", NASA, "--lengths", "10,100"],
    ["sweep", NASA, "--mix", "0,1"],
])
def test_every_measuring_command_fails_when_a_stream_does_not_decode_back(broken, command):
    result = CliRunner().invoke(main, command + ["--model", "uniform", "--scheme", "huffman", "--scheme", broken,
                                                 "-n", "300", "--trials", "2", "--format", "json"])
    assert_one_line_error(result, 1, "a decoded stream differed from the original")
    assert '"verified": false' in result.stdout and '"verified": true' in result.stdout
