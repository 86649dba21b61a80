"""Every stream is decoded back and compared: a coder that decodes wrongly, or not at all, is reported as
unverified by the library and fails every command that measures, never a silent "verified = true".

A deliberately broken scheme is registered for the length of each test only.
"""

import numpy as np
import pytest
from click.testing import CliRunner

from codesim.simulation import experiments
from codesim import load
from codesim.cli import main
from codesim.coders import registry
from codesim.coders.prefix_code import PrefixCode
from codesim.errors import DecodeError
from codesim.simulation.simulate import code_message, simulate_many

from ..conftest import SCENARIOS
from ..hostile import assert_one_line_error

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


def test_a_stream_coded_as_several_messages_is_verified_message_by_message():
    """Beyond a coder's symbol limit, code_message codes consecutive messages: one that does not decode
    back makes the whole stream unverified."""

    class Small(_Garbles):
        max_symbols = 10

    coder = Small([2, 2, 2, 2], "broken")
    bits, ok, encode_seconds, decode_seconds = code_message(coder, np.array([0, 1, 2, 3, 3] * 5))
    assert (bits, ok) == (50, False) and encode_seconds > 0 and decode_seconds > 0
    good = PrefixCode([2, 2, 2, 2])
    assert code_message(good, np.array([0, 1, 2, 3, 3] * 5))[:2] == (50, True)


def test_a_fixed_message_is_coded_once():
    from codesim import Distribution
    from codesim.errors import CodesimError

    p = Distribution.from_probs([0.5, 0.5])
    message = np.array([0, 1, 1, 0])
    simulate_many(p, {"p": p}, ["huffman"], length=4, trials=1, seed=1, message=message)
    for length, trials in ((4, 2), (3, 1)):
        with pytest.raises(CodesimError, match="a fixed message is coded once"):
            simulate_many(p, {"p": p}, ["huffman"], length=length, trials=trials, seed=1, message=message)
