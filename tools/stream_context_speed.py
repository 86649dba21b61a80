"""Speed of the context codes of ``arithmetic`` and ``rans`` against their i.i.d. coders (built from the
chain's marginal), on the same stream of an order-1 chain, compiled: encode and decode in million
symbols per second, and the ratio context / i.i.d.

    python tools/stream_context_speed.py [symbols] [rounds]

Each round times every coder once, in turn, so that a busy machine slows both sides of a ratio alike;
the best round of each is shown.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from codesim.coders import build
from codesim.sources.markov import MarkovChain


def persistent(k: int, stay: float) -> np.ndarray:
    """k states that stay with probability ``stay``, else move with Zipf weights."""
    w = 1.0 / np.arange(1, k + 1)
    t = np.tile(w / w.sum() * (1 - stay), (k, 1))
    t[np.arange(k), np.arange(k)] += stay
    return t / t.sum(axis=1, keepdims=True)


CHAINS = {"8 symbols, order 1": persistent(8, 0.6), "2 states": [[0.8, 0.2], [0.3, 0.7]]}


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    print(f"{n} symbols, best of {rounds} rounds; million symbols/s, compiled\n")
    print("| chain | scheme | encode i.i.d. | encode context | ratio | decode i.i.d. | decode context | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, transitions in CHAINS.items():
        chain = MarkovChain.from_transitions(transitions)
        stream = chain.sample(n, 7)
        for scheme in ("rans", "arithmetic"):
            coders = (build(scheme, chain.marginal()), build(scheme, chain))
            bits = []
            for coder in coders:
                coder.prepare(n)
                bits.append(coder.encode(stream))
                assert np.array_equal(coder.decode(bits[-1], n), stream)
            best = np.full((2, 2), np.inf)
            for _ in range(rounds):
                for i, coder in enumerate(coders):
                    best[i, 0] = min(best[i, 0], _seconds(lambda: coder.encode(stream)))
                    best[i, 1] = min(best[i, 1], _seconds(lambda: coder.decode(bits[i], n)))
            rate = n / best / 1e6
            print(f"| {label} | {scheme} | {rate[0, 0]:.0f} | {rate[1, 0]:.0f} | {rate[1, 0] / rate[0, 0]:.2f} "
                  f"| {rate[0, 1]:.0f} | {rate[1, 1]:.0f} | {rate[1, 1] / rate[0, 1]:.2f} |")


def _seconds(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
