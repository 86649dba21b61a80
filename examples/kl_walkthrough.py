# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # KL divergence as extra bits: a walk through codesim's examples
#
# A code built for an assumed distribution q, used on messages from the true source p, spends on
# average the cross-entropy H(p,q) = H(p) + D(p||q) bits per symbol. The extra D(p||q) is the
# Kullback-Leibler divergence. Each section below states a figure, computes it from the formulas, and
# then measures it on real encoded bits with `codesim.run`, which codes streams drawn from p, decodes
# them and checks them.
#
# This file is a Jupyter notebook in jupytext's percent format (open it with jupytext, or run it as a
# script: `python examples/kl_walkthrough.py`). It runs the scenarios shipped in `scenarios/`.

# %%
import math
from pathlib import Path

import numpy as np

import codesim
from codesim import cross_entropy, entropy, kl_divergence, log_likelihood_ratio

# The shipped scenarios sit beside this file's folder (a notebook runs with examples/ as its folder).
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
SCENARIOS = HERE.parent / "scenarios"
# Short streams keep the walk quick; the figures measured settle closer with longer ones.
LENGTH, TRIALS = 20_000, 3

# %% [markdown]
# ## 1. The NASA probe: eight temperatures, 2.32 bits of information
#
# A probe reports one of eight temperature levels. Two levels make up 70% of the readings, so a
# reading carries H(p) = 2.32 bits on average: no code can spend less. A fixed 3-bit code treats the
# levels as equally likely (it is the code of the uniform model q) and so wastes
# 3 - 2.32 = 0.68 bits per reading, which is exactly D(p||uniform).

# %%
nasa = codesim.load(SCENARIOS / "nasa-temperature.toml")
p, uniform = nasa.source, nasa.models["uniform"]
print(p)
print(uniform)
h_nasa = entropy(p)
waste = kl_divergence(p, uniform)
print(f"H(p) = {h_nasa:.2f} bits; 3 - H(p) = {3 - h_nasa:.2f} bits = D(p||uniform) = {waste:.2f} bits")

# %% [markdown]
# Measured: the fixed code spends exactly 3 bits a reading, so its excess over H(p) is the 0.68 bits.
# The Huffman code of the matched model comes within its whole-bit rounding of H(p), and arithmetic
# coding, which spends -log2 q(x) bits per symbol, shows H(p) + D(p||q) for every model.

# %%
results = codesim.run(nasa, models=["matched", "uniform"], schemes=["fixed", "huffman", "arithmetic"],
                      length=LENGTH, trials=TRIALS)
results

# %%
print(results)
fixed = next(r for r in results.to_records() if r["model"] == "uniform" and r["scheme"] == "fixed")
assert fixed["bits_per_symbol"] == 3.0 and abs(fixed["excess_bits_per_symbol"] - waste) < 1e-12

# %% [markdown]
# With pandas (`pip install 'codesim[notebook]'`) the records are a DataFrame:

# %%
frame = results.to_pandas()
frame[["model", "scheme", "bits_per_symbol", "excess_bits_per_symbol", "kl_bits"]]

# %% [markdown]
# ## 2. The classifier: a dog, believed to be 70% panda, costs 1.737 bits
#
# The picture is a dog, with certainty: p = (1, 0), so H(p) = 0. A classifier that says
# (0.3 dog, 0.7 panda) is charged its cross-entropy loss, -log2 0.3 = 1.737 bits, and all of it is
# D(p||q). Arithmetic coding spends those bits on the message "dog, dog, dog, ...": the loss a
# classifier is trained on is the length of a code built from its beliefs.

# %%
dogs = codesim.load(SCENARIOS / "dog-or-panda.toml")
truth, unsure = dogs.source, dogs.models["unsure"]
dog_cost = cross_entropy(truth, unsure)
print(truth, unsure, sep="\n")
print(f"H(p) = {entropy(truth):.3f}, H(p,q) = D(p||q) = {dog_cost:.3f} bits per picture")
classifier = codesim.run(dogs, models="unsure", schemes=["huffman", "arithmetic"], length=LENGTH, trials=TRIALS)
print(classifier)
coded = next(r for r in classifier.to_records() if r["scheme"] == "arithmetic")
assert abs(coded["bits_per_symbol"] - dog_cost) < 0.01

# %% [markdown]
# A prefix code cannot show this: any code for two symbols spends at least one whole bit per symbol,
# whatever the model says.
#
# ## 3. Asymmetry: D(p||q) is not D(q||p)
#
# A concentrated source (one symbol 90% of the time) coded with a uniform model over its six symbols
# costs D(p||q) = 1.939 bits. Swap the roles, a uniform source coded with the concentrated model, and
# the cost is D(q||p) = 2.701 bits: the sure model gives the symbols it thinks rare long codewords,
# and in the uniform world they are not rare.

# %%
part1 = codesim.load(SCENARIOS / "asymmetry-concentrated-source.toml")
part2 = codesim.load(SCENARIOS / "asymmetry-dispersed-source.toml")
concentrated, dispersed = part1.source, part1.models["dispersed"]
forward, backward = kl_divergence(concentrated, dispersed), kl_divergence(dispersed, concentrated)
print(f"D(concentrated||uniform) = {forward:.3f} bits, D(uniform||concentrated) = {backward:.3f} bits")
for scenario, kl in ((part1, forward), (part2, backward)):
    measured = codesim.run(scenario, schemes="arithmetic", length=LENGTH, trials=TRIALS)
    print(measured, end="\n\n")
    (row,) = measured.to_records()
    assert abs(row["kl_bits"] - kl) < 1e-12 and abs(row["excess_bits_per_symbol"] - kl) < 0.05

# %% [markdown]
# ## 4. The likelihood ratio: what the extra bits are made of
#
# Each symbol x coded with q instead of p costs log2 p(x)/q(x) bits more (less, where q gives x more
# than p does). Averaged over samples from p, this log-likelihood ratio converges to D(p||q), by the
# law of large numbers. A quantity drawn from Beta(17, 6), believed to follow the wide Beta(3, 3),
# costs D(p||q) = 1.51 bits in the continuous closed form; quantised into 64 bins, 1.509.

# %%
beta = codesim.load(SCENARIOS / "beta-likelihood-ratio.toml")
narrow_p, wide_q = beta.source, beta.models["wide"]
beta_kl = kl_divergence(narrow_p, wide_q)
print(f"D(p||q) = {beta_kl:.4f} bits in 64 bins; continuous: {beta.figures['continuous_kl_bits']['wide']:.4f}")
stream = narrow_p.sample(1_000_000, seed=1763)
averages = {n: log_likelihood_ratio(stream[:n], narrow_p, wide_q) for n in (10, 100, 1_000, 10_000, 100_000, 1_000_000)}
for n, average in averages.items():
    print(f"{n:>9} samples: mean log2 p(x)/q(x) = {average:.4f}")
assert abs(averages[1_000_000] - beta_kl) < 0.01

# %% [markdown]
# `codesim.converge` takes the same average on the streams it codes, prefix by prefix, with a 95%
# interval across trials, beside the bits an arithmetic coder spends: they settle at H(p,q), and the
# average at D(p||q). The reverse direction, the wide source believed to be the narrow one, costs far
# more: 5.35 bits in the continuous form.

# %%
growing = codesim.converge(beta, lengths=[100, 1_000, LENGTH], models="wide", schemes="arithmetic", trials=TRIALS)
print(growing)
last = growing.to_records()[-1]
assert last["llr_ci95"][0] - 0.1 < beta_kl < last["llr_ci95"][1] + 0.1
reverse = codesim.load(SCENARIOS / "beta-likelihood-ratio-reverse.toml")
reverse_kl = reverse.figures["continuous_kl_bits"]["narrow"]
print(f"reverse: D(Beta(3, 3)||Beta(17, 6)) = {reverse_kl:.2f} bits, against {beta.figures['continuous_kl_bits']['wide']:.2f}")

# %% [markdown]
# Every run records codesim's version and its seed (`results.seed`, and in the JSON and CSV outputs):
# run again with the same seed and the same bits come out.

# %%
again = codesim.run(nasa, models=["matched", "uniform"], schemes=["fixed", "huffman", "arithmetic"],
                    length=LENGTH, trials=TRIALS, seed=results.seed)
assert [r["bits"] for r in again.to_records()] == [r["bits"] for r in results.to_records()]
print(f"codesim {codesim.__version__}, seed {results.seed}: the same bits again")
