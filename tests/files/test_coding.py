"""sample / encode / decode as library calls: the file round trip, and sizes refused naming where they
came from (the caller's --length, or the scenario's [run] length), before any file is written."""

import re

import numpy as np
import pytest

from codesim.coders import SchemeSpec
from codesim.errors import ArgumentError, CodesimError
from codesim.files import coding, container
from codesim.measures import entropy, kl_divergence
from codesim.scenario import load
from codesim.simulation.simulate import MAX_WHOLE_STREAM

from ..conftest import SCENARIOS

NASA = str(SCENARIOS / "nasa-temperature.toml")
HUFFMAN = SchemeSpec.parse("huffman")
ARITHMETIC = SchemeSpec.parse("arithmetic")


@pytest.mark.parametrize("ext", ["txt", "npy"])
def test_sample_encode_decode_gives_back_the_sampled_file(tmp_path, ext):
    symbols, packed, back = tmp_path / f"s.{ext}", tmp_path / "s.csim", tmp_path / f"back.{ext}"
    sampled = coding.sample(NASA, str(symbols), length=600, seed=3)
    assert (sampled.symbols, sampled.seed, sampled.output) == (600, 3, str(symbols))
    encoded = coding.encode(NASA, str(packed), HUFFMAN, model="swapped", input_path=str(symbols))
    decoded = coding.decode(str(packed), str(back))
    assert back.read_bytes() == symbols.read_bytes()
    assert decoded.symbols == encoded.symbols == 600
    header, _, bits = container.read(packed)
    assert header.symbols == 600 and encoded.bits == len(bits) == header.payload_bits
    assert encoded.bits_per_symbol == encoded.bits / 600


def test_encoded_record_holds_the_scenario_figures_and_the_drawn_stream_is_samples(tmp_path):
    sc = load(NASA)
    encoded = coding.encode(NASA, str(tmp_path / "e.csim"), ARITHMETIC, model="uniform", length=400, seed=9)
    assert encoded.scheme == "arithmetic" and encoded.model == "uniform"
    assert encoded.entropy == entropy(sc.source)
    assert encoded.divergence == kl_divergence(sc.source, sc.models["uniform"])
    coding.sample(NASA, str(tmp_path / "s.npy"), length=400, seed=9)
    coding.decode(str(tmp_path / "e.csim"), str(tmp_path / "d.npy"))
    assert np.array_equal(np.load(tmp_path / "d.npy"), np.load(tmp_path / "s.npy"))


def test_decode_writes_the_format_asked_else_the_names_else_the_stored_one(tmp_path):
    coding.sample(NASA, str(tmp_path / "s.npy"), length=50, seed=1)
    coding.encode(NASA, str(tmp_path / "read.csim"), HUFFMAN, model="uniform", input_path=str(tmp_path / "s.npy"))
    coding.encode(NASA, str(tmp_path / "drawn.csim"), HUFFMAN, model="uniform", length=50, seed=1)
    coding.decode(str(tmp_path / "read.csim"), str(tmp_path / "named.txt"))  # the input was npy
    coding.decode(str(tmp_path / "read.csim"), str(tmp_path / "stored.out"))
    coding.decode(str(tmp_path / "read.csim"), str(tmp_path / "asked.npy"), fmt="text")
    coding.decode(str(tmp_path / "drawn.csim"), str(tmp_path / "named.npy"))
    coding.decode(str(tmp_path / "drawn.csim"), str(tmp_path / "drawn.out"))
    labels = [str(x) for x in np.load(tmp_path / "s.npy")]
    assert (tmp_path / "named.txt").read_text().split() == labels
    assert (tmp_path / "stored.out").read_bytes() == (tmp_path / "s.npy").read_bytes()
    assert (tmp_path / "asked.npy").read_text().split() == labels
    assert (tmp_path / "named.npy").read_bytes() == (tmp_path / "s.npy").read_bytes()
    assert (tmp_path / "drawn.out").read_text().split() == labels  # drawn, no layout stored: text


def _scenario_with_length(tmp_path, length: int) -> str:
    path = tmp_path / "long.toml"
    path.write_text(SCENARIOS.joinpath("nasa-temperature.toml").read_text().replace("length = 100000",
                                                                                     f"length = {length}"))
    return str(path)


@pytest.mark.parametrize("call", [
    lambda out, **kw: coding.sample(kw.pop("scenario", NASA), out, **kw),
    lambda out, **kw: coding.encode(kw.pop("scenario", NASA), out, HUFFMAN, model="uniform", **kw),
])
def test_a_stream_over_the_limit_is_named_where_its_length_came_from(tmp_path, call):
    out = str(tmp_path / "out")
    with pytest.raises(ArgumentError, match=f"^--length {MAX_WHOLE_STREAM + 1} is over the limit"):
        call(out, length=MAX_WHOLE_STREAM + 1)
    scenario = _scenario_with_length(tmp_path, MAX_WHOLE_STREAM + 1)
    over = f"^{re.escape(scenario)}: \\[run\\] length {MAX_WHOLE_STREAM + 1} is over"
    with pytest.raises(CodesimError, match=over) as caught:
        call(out, scenario=scenario)
    assert not isinstance(caught.value, ArgumentError)
    assert not (tmp_path / "out").exists()


def test_a_message_a_csim_file_cannot_hold_is_named_where_its_length_came_from(tmp_path):
    n = (1 << 21) + 1  # one over the arithmetic coder's message limit, within the whole-stream limit
    out = str(tmp_path / "e.csim")
    with pytest.raises(ArgumentError, match=f"^--length {n}: a .csim file cannot hold it: "):
        coding.encode(NASA, out, ARITHMETIC, model="uniform", length=n)
    scenario = _scenario_with_length(tmp_path, n)
    over = f"^{re.escape(scenario)}: \\[run\\] length {n}: a .csim file cannot hold"
    with pytest.raises(CodesimError, match=over) as caught:
        coding.encode(scenario, out, ARITHMETIC, model="uniform")
    assert not isinstance(caught.value, ArgumentError)
    assert not (tmp_path / "e.csim").exists()


def test_encode_refuses_arguments_that_do_not_go_together(tmp_path):
    out = str(tmp_path / "e.csim")
    with pytest.raises(ArgumentError, match="--model is needed: .* has models matched, uniform"):
        coding.encode(NASA, out, HUFFMAN)
    with pytest.raises(ArgumentError, match="--input reads one"):
        coding.encode(NASA, out, HUFFMAN, model="uniform", input_path=out, seed=1)
    assert not (tmp_path / "e.csim").exists()


def test_an_existing_output_is_refused_before_any_work_unless_forced(tmp_path):
    out = tmp_path / "s.txt"
    out.write_text("keep")
    with pytest.raises(CodesimError, match="already exists"):
        coding.sample(str(SCENARIOS / "missing.toml"), str(out), length=10)
    assert out.read_text() == "keep"
    assert coding.sample(NASA, str(out), length=10, force=True).symbols == 10
    assert len(out.read_text().split()) == 10


def test_a_file_source_samples_and_encodes_its_own_message_not_draws_from_its_frequencies(tmp_path):
    text = "abracadabra, a cadabra\n" * 5
    (tmp_path / "message.txt").write_text(text)
    (tmp_path / "model.txt").write_text("the quick brown fox jumps over the lazy dog, abracadabra")
    scenario = tmp_path / "file.toml"
    scenario.write_text('title = "own message"\n[source]\nfile = "message.txt"\nunit = "char"\n'
                        '[models.other]\nfile = "model.txt"\n')
    sampled = coding.sample(str(scenario), str(tmp_path / "m.npy"))
    assert sampled.seed is None and "(its message)" in sampled.summary
    assert "".join(np.load(tmp_path / "m.npy")) == text  # the file's characters, in order
    coding.encode(str(scenario), str(tmp_path / "m.csim"), HUFFMAN)
    header, stream = container.decode_file(str(tmp_path / "m.csim"))
    assert "".join(header.alphabet[i] for i in stream) == text
    assert header.meta["message"] is True and "seed" not in header.meta


def test_a_scheme_that_learns_is_encoded_without_a_model(tmp_path):
    learner = SchemeSpec.parse("adaptive-arithmetic")
    encoded = coding.encode(NASA, str(tmp_path / "l.csim"), learner, length=500, seed=2)
    assert encoded.model is None and encoded.divergence is None
    assert "no model" in encoded.summary and "D(p||q)" not in encoded.summary
    header, stream = container.decode_file(str(tmp_path / "l.csim"))
    assert header.model is None and "model" not in header.meta and stream.size == 500
    with pytest.raises(ArgumentError, match="takes no model: leave out --model"):
        coding.encode(NASA, str(tmp_path / "m.csim"), learner, model="uniform")
    with pytest.raises(ArgumentError, match="one scheme"):
        coding.encode(NASA, str(tmp_path / "g.csim"), "prefix", model="uniform")
    assert not (tmp_path / "m.csim").exists() and not (tmp_path / "g.csim").exists()
