"""Markov chains of any order, as sources and as models, and the rates of information theory over them.

A chain of order k over K symbols gives the next symbol's probabilities given the k symbols before it,
its context: one row of ``transitions`` per context, indexed by the context as base-K digits, oldest
symbol most significant (the alphabet's order). Its first k symbols come from ``initial``, a
distribution over k-tuples; by default the stationary one, which makes the chain a stationary process.

>>> chain = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])
>>> chain.marginal().probs.round(4).tolist(), round(chain.entropy_rate(), 4)
([0.6, 0.4], 0.7857)

The rates (Cover & Thomas, ch. 4), with pi the stationary distribution of the contexts:

- entropy rate H = sum_c pi(c) H(P(.|c)), the least bits per symbol any code averages;
- cross-entropy rate of a model Q of order m: sum over contexts of length max(k, m) of
  pi(c) sum_x P(x|c) (-log2 Q(x|c)); the KL divergence rate D(P||Q) is its excess over H
  (Rached, Alajaji and Campbell, IEEE Trans. IT 50(5), 2004);
- the memory an i.i.d. model ignores, H(marginal) - H, so that an i.i.d. model q costs
  H + [H(marginal) - H] + D(marginal||q).

Stationary distributions are exact: a linear solve over the contexts (up to MAX_DENSE_STATES of
them), power iteration beyond. ``estimate`` and ``file`` models of order k are chains too: counts of
what followed each context seen in training, smoothed, with a fallback row (the order-0 estimate) for
every context never seen; a message's first k symbols use the estimates of the shorter contexts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Sequence

import numpy as np

from .. import jit
from ..coders.context import MAX_ORDER, Contexts, check_entries, id_space, symbols_label
from ..errors import CodesimError, DistributionError, ScenarioError
from ..measures import entropy, log_ratio
from . import kernels
from .base import Kind, register
from .iid import (SAMPLE_CHUNK, SUM_TOLERANCE, AliasTable, Distribution, _as_vector, _check_labels, index_dtype,
                  short_labels)

#: The most contexts whose stationary distribution is found by a dense linear solve (a 2048 x 2048
#: system, 32 MB, solved in a fraction of a second); past it, by power iteration.
MAX_DENSE_STATES = 2048
#: Power iteration stops when a step changes pi by less than this (in total) ...
POWER_TOLERANCE = 1e-14
#: ... and gives up after this many steps, or after MAX_POWER_WORK table entries visited in all (about
#: 20 s here, a few hundred steps of the largest table), whichever comes first: a chain that mixes too
#: slowly for it is refused.
MAX_POWER_STEPS = 20_000
MAX_POWER_WORK = 1 << 31
#: The most probabilities (contexts x symbols) of a chain given by its transitions: a table written out
#: (in a scenario, 2 symbols of order 17, 16 of order 3, 512 of order 1), whose checks, stationary
#: distribution and sampling tables take a few seconds at this size. Estimates, which need none of those,
#: go to MAX_CONTEXT_ENTRIES.
MAX_GIVEN_ENTRIES = 1 << 18
#: Keys (context, symbol) an estimate makes at once, and the most it counts in a dense array (128 MB)
#: rather than by sorting them.
COUNT_KEYS = 1 << 22
DENSE_COUNTS = 1 << 24


def _sum_to_one(vec: np.ndarray, what: str) -> float:
    """The sum of a probability vector, which must be within SUM_TOLERANCE of 1 (an error naming it)."""
    try:
        total = math.fsum(vec)
    except OverflowError:  # entries near the largest double
        raise DistributionError(f"{what} sums to more than the largest double, not 1") from None
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise DistributionError(f"{what} sums to {total:.10g}, not 1 (tolerance {SUM_TOLERANCE:g})")
    return total


def _probability_rows(transitions, size: int, order: int, alphabet) -> np.ndarray:
    """The rows of ``transitions`` as a float64 matrix, each a probability vector (a sum within 1e-6
    of 1 is rescaled), or an error naming the row by number and context."""
    if not isinstance(transitions, (list, tuple, np.ndarray)):
        raise DistributionError(f"transitions must be a list of rows, got {type(transitions).__name__}")
    rows_wanted = size ** order
    if rows_wanted * size > MAX_GIVEN_ENTRIES:
        raise DistributionError(
            f"a chain of order {order} over {size} symbols has {size}^{order} contexts x {size} symbols = "
            f"{rows_wanted * size} transition probabilities, over the limit of {MAX_GIVEN_ENTRIES} (2^18) for a "
            "chain given by its transitions: use a lower order or a smaller alphabet")
    if len(transitions) != rows_wanted:
        raise DistributionError(
            f"transitions has {len(transitions)} rows, but order {order} over {size} symbols needs "
            f"{size}^{order} = {rows_wanted}: one per context, in the alphabet's order (oldest symbol first)")
    rows = _plain_rows(transitions, size)
    if rows is not None:
        return rows
    rows = np.empty((rows_wanted, size))
    for i, row in enumerate(transitions):
        what = f"transitions row {i + 1} (context {symbols_label(i, order, alphabet)!r})"
        if not isinstance(row, (list, tuple, np.ndarray)):
            raise DistributionError(f"{what} is not a list of probabilities")
        vec = _as_vector(row, what)
        if vec.size != size:
            raise DistributionError(f"{what} has {vec.size} entries, but the alphabet has {size} symbols")
        rows[i] = vec / _sum_to_one(vec, what)
    return rows


def _plain_rows(transitions, size: int) -> np.ndarray | None:
    """The rows as a matrix, each divided by its sum, when every one is a list of ``size`` finite,
    non-negative floats or ints (or they are a float matrix) summing to within SUM_TOLERANCE of 1:
    checked all at once, as a table at the limit has 2^17 rows; None otherwise, and the row-by-row
    checks then name what is wrong."""
    if isinstance(transitions, np.ndarray):
        if transitions.ndim != 2 or transitions.shape[1] != size or transitions.dtype.kind != "f":
            return None
        rows = transitions.astype(np.float64) + 0.0  # -0.0 is 0
    else:
        plain = (float, int)
        if not all(type(row) is list and len(row) == size and all(type(v) in plain for v in row)
                   for row in transitions):
            return None
        try:
            rows = np.array(transitions, dtype=np.float64) + 0.0
        except OverflowError:  # an int past the largest double
            return None
    if not (np.isfinite(rows).all() and (rows >= 0).all()):
        return None
    try:
        sums = np.array([math.fsum(row) for row in rows.tolist()])  # exact, as _sum_to_one's
    except OverflowError:
        return None
    if not (np.abs(sums - 1.0) <= SUM_TOLERANCE).all():
        return None
    return rows / sums[:, None]


def _tarjan(succ: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Strongly connected component of every node of the graph whose edges are ``succ[i][live[i]]``
    (iterative Tarjan: a chain may have many contexts, Python's recursion only a thousand levels)."""
    n = len(succ)
    index = np.full(n, -1)
    low = np.zeros(n, dtype=np.int64)
    comp = np.full(n, -1)
    on_stack = np.zeros(n, dtype=bool)
    stack: list[int] = []
    counter = components = 0
    edges = [succ[i][live[i]].tolist() for i in range(n)]
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            v, at = work[-1]
            if at == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            if at < len(edges[v]):
                work[-1] = (v, at + 1)
                w = edges[v][at]
                if index[w] < 0:
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = components
                    if w == v:
                        break
                components += 1
    return comp


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """A Markov chain of ``order`` k over ``alphabet``: a source (its streams) and a model (what a
    context code is built from). Build one with :meth:`from_transitions` or :func:`estimate_chain`.

    ``contexts`` are the full contexts that have rows (all K^k for a chain given by its transitions;
    those seen in training, and a fallback row, for an estimate), ``rows`` their probabilities;
    ``start_ids`` and ``start_rows`` the partial contexts of a message's first k symbols and their
    lower-order conditionals; ``initial`` the distribution of the first k-tuple (over K^k, for drawing
    streams), None for an estimate.
    """

    alphabet: tuple
    order: int
    contexts: Contexts
    rows: np.ndarray
    start_ids: np.ndarray
    start_rows: np.ndarray
    initial: np.ndarray | None = None

    def __repr__(self) -> str:
        """One short line: the order, the alphabet (shortened) and how many contexts have rows.

        >>> MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])
        MarkovChain(order 1 over ('calm', 'storm'), 2 contexts)
        """
        estimate = " and a fallback row (an estimate)" if self.contexts.fallback else ""
        return (f"MarkovChain(order {self.order} over {short_labels(self.alphabet)}, "
                f"{len(self.contexts.ids)} contexts{estimate})")

    # -- building ----------------------------------------------------------------------------------
    @classmethod
    def from_transitions(cls, transitions, alphabet: Sequence | None = None, order: int = 1,
                         initial: Sequence[float] | None = None, *, transient: bool = False) -> "MarkovChain":
        """A chain from its K^order transition rows; ``initial`` over K^order tuples, or None for the
        stationary distribution (the chain must then be irreducible: an error names the transient
        contexts or the classes that do not communicate; ``transient`` admits transient contexts, which
        the stationary start never visits, as a mixture of chains may have)."""
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise DistributionError(f"order must be a whole number >= 1 for a chain, got {order!r} "
                                    "(an order-0 chain is an i.i.d. distribution: give probs)")
        if alphabet is None:
            first = transitions[0] if len(transitions) else []
            alphabet = range(len(first))
        labels = _check_labels(alphabet)
        size = len(labels)
        try:
            full, _ = id_space(size, int(order))
        except CodesimError as exc:
            raise DistributionError(str(exc)) from None
        rows = _probability_rows(transitions, size, int(order), labels)
        contexts = Contexts(size, int(order), np.arange(full), False)
        chain = cls(labels, int(order), contexts, rows, np.zeros(0, dtype=np.int64), np.zeros((0, size)))
        if initial is None:  # the contexts no history leads to never occur: the table keeps the others
            keep = chain._entered()
            contexts = Contexts(size, int(order), np.flatnonzero(keep), False)
            rows = rows[keep]
            chain = cls(labels, int(order), contexts, rows, np.zeros(0, dtype=np.int64), np.zeros((0, size)))
        closed, transient_rows = chain._classes()
        if len(closed) > 1:
            shown = "; ".join("{" + ", ".join(chain._names(c)) + "}" for c in closed[:3])
            raise DistributionError(
                f"the chain has {len(closed)} closed classes of contexts that do not communicate ({shown}"
                f"{'; ...' if len(closed) > 3 else ''}): its statistics depend on where it starts, so it "
                "has no single entropy rate; connect them")
        if initial is None:
            if transient_rows.size and not transient:
                raise DistributionError(
                    f"the chain is not irreducible: context(s) {', '.join(chain._names(transient_rows))} are "
                    "transient (once left, never reached again), so the stationary start gives them no "
                    "mass; remove them, or give initial to start there")
            start = np.zeros(full)
            start[contexts.ids] = chain.stationary
        else:
            start = _as_vector(initial, "initial")
            if start.size != full:
                raise DistributionError(f"initial has {start.size} entries, but a chain of order {order} "
                                        f"over {size} symbols starts with one of {full} tuples")
            start = start / _sum_to_one(start, "initial")
        ids, srows = _start_conditionals(start, size, int(order))
        return cls(labels, int(order), contexts, rows, ids, srows, start)

    def _entered(self) -> np.ndarray:
        """Which rows some row leads into with positive probability, after taking out, again and again,
        those no remaining row leads into: the contexts a long enough history can end in."""
        n, size = len(self.contexts.ids), self.contexts.size
        succ = self.contexts.nxt[: n * size].reshape(n, size)
        live = self.rows[:n] > 0
        keep = np.ones(n, dtype=bool)
        while True:
            entered = np.zeros(n, dtype=bool)
            entered[succ[live & keep[:, None]]] = True
            if np.array_equal(entered & keep, keep):
                return keep
            keep &= entered

    def _classes(self) -> tuple[list[np.ndarray], np.ndarray]:
        """(closed classes, transient contexts) of the chain's context graph, as row numbers."""
        n, size = len(self.contexts.ids), self.contexts.size
        succ = self.contexts.nxt[: n * size].reshape(n, size)
        live = self.rows[:n] > 0
        comp = _tarjan(succ, live)
        leaving = np.zeros(comp.max() + 1, dtype=bool)
        src = np.repeat(np.arange(n), size)[live.ravel()]
        dst = succ.ravel()[live.ravel()]
        leaving[comp[src][comp[src] != comp[dst]]] = True
        closed = [np.flatnonzero(comp == c) for c in range(comp.max() + 1) if not leaving[c]]
        return closed, np.flatnonzero(leaving[comp])

    def _names(self, rows: np.ndarray, most: int = 5) -> list[str]:
        names = [repr(symbols_label(int(self.contexts.ids[r]), self.order, self.alphabet)) for r in rows[:most]]
        return names + (["..."] if len(rows) > most else [])

    # -- stationary statistics ---------------------------------------------------------------------
    @cached_property
    def stationary(self) -> np.ndarray:
        """pi over the stored full contexts (rows): pi P = pi, exactly (a linear solve, or power
        iteration past MAX_DENSE_STATES contexts). A chain given by its transitions has one; an estimate,
        whose fallback row stands for every context it never saw, is a model only."""
        if self.contexts.fallback:
            raise CodesimError("an estimated model is not a source: it has no stationary distribution")
        n, size = self.contexts.rows, self.contexts.size
        # A transition into a context the table left out has probability 0: where it points is moot.
        nxt = np.where(self.contexts.nxt.reshape(n, size) < 0, 0, self.contexts.nxt.reshape(n, size))
        if n <= MAX_DENSE_STATES:
            P = np.zeros((n, n))
            np.add.at(P, (np.repeat(np.arange(n), size), nxt.ravel()), self.rows.ravel())
            A = P.T - np.eye(n)
            A[-1] = 1.0
            b = np.zeros(n)
            b[-1] = 1.0
            try:
                pi = np.linalg.solve(A, b)
            except np.linalg.LinAlgError:
                raise CodesimError("the chain's stationary distribution is not unique") from None
        else:
            pi = np.full(n, 1.0 / n)
            flat, weights = nxt.ravel(), self.rows.ravel()
            for _ in range(min(MAX_POWER_STEPS, MAX_POWER_WORK // flat.size)):
                step = 0.5 * (pi + np.bincount(flat, weights=np.repeat(pi, size) * weights, minlength=n))
                if np.abs(step - pi).sum() < POWER_TOLERANCE:
                    pi = step
                    break
                pi = step
            else:
                raise CodesimError(f"the chain over {n} contexts mixes too slowly: power iteration did not "
                                   f"settle within {min(MAX_POWER_STEPS, MAX_POWER_WORK // flat.size)} steps "
                                   "(use fewer contexts, or rows further from 0 and 1)")
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    def marginal(self) -> Distribution:
        """The stationary distribution of one symbol (an estimate's order-0 counts)."""
        if self.contexts.fallback:  # an estimate: its order-0 counts
            return Distribution(self.alphabet, self.order0_probs())
        last = self.contexts.ids % self.contexts.size
        return Distribution.from_probs(np.bincount(last, weights=self.stationary, minlength=len(self.alphabet)),
                                       self.alphabet, normalise=True)

    def entropy_rate(self) -> float:
        """H = sum_c pi(c) H(P(.|c)) in bits per symbol."""
        rows = self.rows
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(rows > 0, rows * np.log2(rows), 0.0).sum(axis=1)
        return float(max(0.0, (self.stationary * h).sum()))

    # -- as a model --------------------------------------------------------------------------------
    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """q(. | the last ``order`` symbol indices, oldest first)."""
        context = np.asarray(context, dtype=np.int64)[-self.order :]
        cid = 0
        for x in context.tolist():
            cid = cid * len(self.alphabet) + x
        row = int(self.contexts.rows_of_ids(np.array([cid]))[0])
        return self.rows[row] if row >= 0 else np.zeros(len(self.alphabet))

    def order0_probs(self) -> np.ndarray:
        """The probabilities of a message's first symbol (for a chain started stationary, its marginal)."""
        return self.start_rows[0] if len(self.start_rows) else self.marginal().probs

    @cached_property
    def _table(self) -> tuple[Contexts, np.ndarray]:
        n = len(self.contexts.ids)
        ids = np.concatenate([self.contexts.ids, self.start_ids])
        rows = np.concatenate([self.rows[:n], self.start_rows, self.rows[n:]])
        rows.setflags(write=False)
        return Contexts(len(self.alphabet), self.order, ids, self.contexts.fallback), rows

    def context_table(self) -> tuple[Contexts, np.ndarray]:
        """What a context code is built from: every context a message may be coded in (the partial
        contexts of its start included) and q(. | context), one row each."""
        return self._table

    @cached_property
    def _costs(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return -np.log2(self._table[1])

    def message_bits(self, message: np.ndarray, before: np.ndarray | None = None) -> float:
        """sum of -log2 q(x | context) over a message: coded afresh (its first symbols in partial
        contexts), or continuing a stream whose last symbols were ``before``; inf where q rules x out."""
        contexts = self._table[0]
        k = self.order
        head = np.zeros(0, dtype=np.int64) if before is None else np.asarray(before, dtype=np.int64)[-k:]
        x = np.concatenate([head, np.asarray(message, dtype=np.int64)]) if head.size else np.asarray(message)
        rows = contexts.rows_of(x)[head.size :]
        x = np.asarray(x[head.size :], dtype=np.int64)
        if np.any(rows < 0):
            return math.inf
        return float(self._costs[rows, x].sum())

    def block_probs(self, k: int) -> np.ndarray:
        """The probability of every k-symbol message under the model (index: base-K digits, oldest
        first): for a chain started stationary, its stationary k-block distribution."""
        contexts, rows = self._table
        size = contexts.size
        probs = np.ones(1)
        for j in range(k):
            prefix = np.arange(size ** j, dtype=np.int64)
            if j < self.order:
                cids = contexts.full + int(contexts.offsets[j]) + prefix
            else:
                cids = prefix % contexts.full
            at = contexts.rows_of_ids(cids)
            cond = np.where((at >= 0)[:, None], rows[np.maximum(at, 0)], 0.0)
            probs = (probs[:, None] * cond).ravel()
        return probs

    # -- as a source -------------------------------------------------------------------------------
    @cached_property
    def _sampler(self) -> tuple:
        if self.initial is None or self.contexts.fallback:
            raise CodesimError("an estimated model is not a source: streams come from chains given by "
                               "their transitions")
        tables = [AliasTable(row) for row in self.rows]
        bound = np.concatenate([t.bound for t in tables]).view(np.int64) ^ np.int64(kernels.SIGN)
        alias = np.concatenate([t.alias for t in tables])
        return AliasTable(self.initial), tables[0].shift, bound, alias

    def blocks(self, length: int, seed, block: int) -> Iterator[np.ndarray]:
        """A stream of ``length`` symbols in blocks of at most ``block``, the chain's state carried
        from block to block: the first k-tuple takes one 64-bit word of the generator, every later
        symbol one, so the stream does not depend on the block size."""
        rng = np.random.default_rng(seed)
        start, shift, bound, alias = self._sampler
        size, k = len(self.alphabet), self.order
        dtype = index_dtype(size)
        first = int(start.draw(rng.bit_generator.random_raw(1))[0]) if length else 0
        pending = [(first // size ** (k - 1 - j)) % size for j in range(k)]
        row = int(self.contexts.rows_of_ids(np.array([first]))[0]) if k else 0
        mask = (1 << (64 - shift)) - 1
        nxt = self.contexts.nxt.astype(np.int32)  # a chain given by its transitions has no fallback row
        args = (size, shift, mask, jit.plain(bound), jit.plain(alias), jit.plain(nxt))
        for lo in range(0, length, block):
            n = min(block, length - lo)
            out = np.empty(n, dtype=dtype)
            head = min(len(pending), n)
            out[:head] = pending[:head]
            pending = pending[head:]
            for at in range(head, n, SAMPLE_CHUNK):
                m = min(SAMPLE_CHUNK, n - at)
                words = rng.bit_generator.random_raw(m).view(np.int64)
                drawn = jit.scratch(m, np.int64)
                row = kernels.sample(jit.plain(words), drawn, m, row, *args)
                out[at : at + m] = drawn
            yield out

    def sample(self, n: int, seed=None) -> np.ndarray:
        """n symbols of one stream, from the start."""
        return next(iter(self.blocks(n, seed, max(n, 1)))) if n else np.zeros(0, dtype=index_dtype(len(self.alphabet)))


def _start_conditionals(start: np.ndarray, size: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The partial contexts (ids, see :mod:`codesim.coders.context`) of positive probability under the
    k-tuple distribution ``start``, and the conditional of the next symbol in each."""
    full, offsets = id_space(size, order)
    ids, rows = [], []
    for j in range(order):
        head = np.bincount(np.arange(full) // size ** (order - j), weights=start, minlength=size ** j)
        nxt = np.bincount(np.arange(full) // size ** (order - j - 1), weights=start,
                          minlength=size ** (j + 1)).reshape(size ** j, size)
        seen = np.flatnonzero(head > 0)
        ids.append(full + offsets[j] + seen)
        cond = nxt[seen] / head[seen, None]
        rows.append(cond / cond.sum(axis=1, keepdims=True))
    return np.concatenate(ids).astype(np.int64), np.concatenate(rows)


# -- rates ---------------------------------------------------------------------------------------
def _chain_of(p) -> tuple[int, Contexts, np.ndarray, np.ndarray]:
    """(order, contexts, rows, stationary pi over the rows) of a chain or an i.i.d. distribution."""
    if isinstance(p, MarkovChain):
        return p.order, p.contexts, p.rows, p.stationary
    probs = np.asarray(getattr(p, "probs", p), dtype=np.float64)
    return 0, Contexts(probs.size, 0, np.zeros(1, dtype=np.int64), False), probs[None, :], np.ones(1)


def _tuples(p, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stationary process's contexts of ``length`` symbols with positive probability: (ids as
    base-K numbers, probabilities, p's conditional row after each)."""
    order, contexts, rows, pi = _chain_of(p)
    size = contexts.size
    if contexts.fallback:
        raise CodesimError("an estimated model is not a source")
    keep = pi > 0
    ids, probs = contexts.ids[keep], pi[keep]
    for _ in range(order, length):
        cond = rows[contexts.rows_of_ids(ids % contexts.full if order else ids * 0)]
        check_entries(ids.size * size, size, f"the source's contexts of {length} symbols")
        new = (ids[:, None] * size + np.arange(size)).ravel()
        weight = (probs[:, None] * cond).ravel()
        ids, probs = new[weight > 0], weight[weight > 0]
    cond = rows[contexts.rows_of_ids(ids % contexts.full if order else ids * 0)]
    return ids, probs, cond


def _expect(p, contexts: Contexts, per_row) -> float:
    """sum over the source's stationary contexts c (long enough for both) of pi(c) per_row(P(.|c),
    model's row index of c), where per_row gives one number per context."""
    if contexts.fallback and contexts.order > _chain_of(p)[0]:
        return _expect_stored(p, contexts, per_row)
    ids, probs, cond = _tuples(p, max(_chain_of(p)[0], contexts.order))
    model_ids = ids % contexts.full if contexts.order else ids * 0
    at = contexts.rows_of_ids(model_ids)
    values = per_row(cond, at)
    with np.errstate(invalid="ignore"):
        return float(np.where(probs > 0, probs * values, 0.0).sum())


#: A fallback's share of a source context below this is taken as none: what is left when the stored
#: contexts' probabilities, computed apart, are taken from their sum.
FALLBACK_MASS_TOLERANCE = 1e-12


def _expect_stored(p, contexts: Contexts, per_row) -> float:
    """:func:`_expect` for a model with a fallback row and a longer order than the source's: the
    model's stored contexts one by one, with their stationary probabilities by the chain rule, and the
    fallback once per context of the source, with the mass the stored ones leave of it. (Listing every
    context of the model's order, as :func:`_expect` does, would list |A|^k of them; an estimate stores
    those it saw.)"""
    order, source, rows, pi = _chain_of(p)
    size, k = contexts.size, contexts.order
    full_ids = contexts.ids[contexts.ids < contexts.full]
    here = source.full  # the source's contexts: size^order ids (one, the empty one, for i.i.d.)

    def source_row(ids):
        return source.rows_of_ids(ids % here if order else ids * 0)

    # P(c) = pi(c's first `order` symbols) x the source's transitions through the rest of c
    head = full_ids // size ** (k - order)
    at = source_row(head)
    prob = np.where(at >= 0, pi[np.maximum(at, 0)], 0.0)
    for j in range(order, k):
        before = (full_ids // size ** (k - j)) % here if order else full_ids * 0
        digit = (full_ids // size ** (k - 1 - j)) % size
        at = source_row(before)
        prob = prob * np.where(at >= 0, rows[np.maximum(at, 0), digit], 0.0)
    after = source_row(full_ids)
    cond = np.where((after >= 0)[:, None], rows[np.maximum(after, 0)], 0.0)
    with np.errstate(invalid="ignore"):
        stored = np.where(prob > 0, prob * per_row(cond, np.arange(full_ids.size)), 0.0).sum()
    # What the stored contexts leave of each source context goes to the fallback row.
    left = pi - np.bincount(np.maximum(after, 0), weights=prob, minlength=pi.size)
    left = np.where(left > FALLBACK_MASS_TOLERANCE * np.maximum(pi, 1.0), left, 0.0)
    fallback = per_row(rows[: pi.size], np.full(pi.size, contexts.fallback_row))
    with np.errstate(invalid="ignore"):
        return float(stored + np.where(left > 0, left * fallback, 0.0).sum())


def expected_cost(p, contexts: Contexts, cost_rows: np.ndarray) -> float:
    """E[cost(x | context)] per symbol on the stationary source p (a chain or an i.i.d. distribution),
    cost_rows one row per row of ``contexts`` (inf where the code cannot code x); the contexts are
    full ones (a message's start is per-message overhead)."""
    cost_rows = np.asarray(cost_rows, dtype=np.float64)

    def per_row(cond, at):
        costs = np.where((at >= 0)[:, None], cost_rows[np.maximum(at, 0)], np.inf)
        with np.errstate(invalid="ignore"):
            return np.where(cond > 0, cond * costs, 0.0).sum(axis=1)

    return _expect(p, contexts, per_row)


def cross_entropy_rate(p, q) -> float:
    """The bits per symbol of an ideal code for the model q (chain or i.i.d.) on the source p."""
    contexts, rows = _table_of(q)
    with np.errstate(divide="ignore"):
        return expected_cost(p, contexts, -np.log2(rows))


def kl_rate(p, q) -> float:
    """D(P||Q) per symbol: sum_c pi(c) D(P(.|c) || Q(.|c)), term by term (exactly 0 for q = p)."""
    contexts, qrows = _table_of(q)

    def per_row(cond, at):
        qr = np.where((at >= 0)[:, None], qrows[np.maximum(at, 0)], 0.0)
        if np.any((cond > 0) & (qr <= 0)):
            return np.full(len(cond), np.inf)
        terms = np.zeros_like(cond)
        seen = cond > 0
        terms[seen] = cond[seen] * log_ratio(cond[seen], qr[seen]) / math.log(2)
        return terms.sum(axis=1)

    return max(0.0, _expect(p, contexts, per_row))


def _table_of(q) -> tuple[Contexts, np.ndarray]:
    """A model's full contexts and rows (an i.i.d. model: one row)."""
    if isinstance(q, MarkovChain):
        return q.contexts, q.rows
    probs = np.asarray(getattr(q, "order0_probs", lambda: q)(), dtype=np.float64)
    return Contexts(probs.size, 0, np.zeros(1, dtype=np.int64), False), probs[None, :]


def transition_rows(q, order: int) -> np.ndarray:
    """A model's conditionals for every context of ``order`` symbols (>= its own order), K^order x K: an
    i.i.d. model's row repeated, a chain's row of each context's last symbols (the fallback for a
    context an estimate never saw; zeros for a context a chain never enters)."""
    contexts, rows = _table_of(q)
    size = contexts.size
    check_entries(size ** order, size, f"a model lifted to order {order}")
    ids = np.arange(size ** order, dtype=np.int64)
    at = contexts.rows_of_ids(ids % contexts.full if contexts.order else ids * 0)
    return np.where((at >= 0)[:, None], rows[np.maximum(at, 0)], 0.0)


def mixture(q, p, t: float):
    """q_t = (1-t) q + t p: for i.i.d. q and p two probability vectors mixed; with memory on either
    side, their transition rows, context by context, at the higher of their orders. Exactly q at t = 0
    and p (an i.i.d. p's marginal) at t = 1."""
    if q.alphabet != p.alphabet:
        raise CodesimError("a model mixed with the source must have the source's alphabet")
    if t == 0:
        return q
    if not isinstance(p, MarkovChain) and not isinstance(q, MarkovChain):
        marginal = p.marginal()
        if t == 1:
            return marginal
        return q.with_probs((1.0 - t) * q.order0_probs() + t * marginal.order0_probs())
    if t == 1 and isinstance(p, MarkovChain):
        return p
    source = p if isinstance(p, MarkovChain) else p.marginal()
    order = max(getattr(q, "order", 0), getattr(p, "order", 0))
    q_rows, p_rows = transition_rows(q, order), transition_rows(source, order)
    # A context one side never enters has no row there: the other side's row stands in for it.
    q_rows = np.where(q_rows.sum(axis=1, keepdims=True) > 0, q_rows, p_rows)
    p_rows = np.where(p_rows.sum(axis=1, keepdims=True) > 0, p_rows, q_rows)
    return MarkovChain.from_transitions((1.0 - t) * q_rows + t * p_rows, q.alphabet, order, transient=True)


def memory_bits(p) -> float:
    """H(marginal) - H: what any i.i.d. model loses on p (0 for an i.i.d. source)."""
    if not isinstance(p, MarkovChain):
        return 0.0
    return max(0.0, entropy(p.marginal()) - p.entropy_rate())


# -- estimates -----------------------------------------------------------------------------------
def context_counts(blocks, size: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    """What followed every context in a stream given in consecutive blocks: (keys, counts), key =
    context id * size + symbol, over the full contexts of ``order`` symbols and, for the estimates of
    a message's start, the contexts of j < order symbols at every position (as partial ids)."""
    full, offsets = id_space(size, order)
    span = (full + offsets[-1]) * size
    dense = np.zeros(span, dtype=np.int64) if span <= DENSE_COUNTS else None
    keys = np.zeros(0, dtype=np.int64)
    counts = np.zeros(0, dtype=np.int64)
    tail = np.zeros(0, dtype=np.int64)
    # Each position has order + 1 keys: pieces of at most COUNT_KEYS / (order + 1) positions keep the
    # scratch near 100 MB (int64 keys, and their sort where they are too many to count densely).
    step = max(1, COUNT_KEYS // (order + 1))
    pieces = (np.asarray(b)[lo : lo + step] for b in blocks for lo in range(0, len(b), step))
    for block in pieces:
        x = np.concatenate([tail, np.asarray(block, dtype=np.int64)])
        at = np.arange(tail.size, x.size)  # the positions of this piece, after the tail carried over
        symbol = x[at]
        value = np.zeros(at.size, dtype=np.int64)  # the j symbols before each position, base-K
        found = []
        for j in range(order + 1):
            known = at >= j  # a stream's first positions have fewer than j symbols before them
            cid = value if j == order else full + offsets[j] + value
            found.append((cid * size + symbol)[known])
            if j < order:  # one more symbol, older than those in value: the most significant digit
                value = value + x[np.maximum(at - j - 1, 0)] * size ** j
        tail = x[-order:] if order else tail
        if dense is not None:  # one pass over the span a piece: a pass per j costs order + 1 of them
            dense += np.bincount(np.concatenate(found), minlength=span)
            continue
        merged, inverse = np.unique(np.concatenate([keys, *found]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([counts, np.ones(inverse.size - counts.size)]),
                             minlength=merged.size).astype(np.int64)
        keys = merged
        check_entries(np.unique(keys // size).size, size, f"an order-{order} estimate")
    if dense is not None:
        keys = np.flatnonzero(dense)
        counts = dense[keys]
        check_entries(np.unique(keys // size).size, size, f"an order-{order} estimate")
    return keys, counts


def estimate_chain(blocks, alphabet: Sequence, order: int, alpha: float) -> "MarkovChain":
    """The order-k model estimated from a stream's blocks, add-alpha smoothed per context (see
    :mod:`codesim.sources.estimate`): rows for the contexts seen, and the order-0 estimate as the
    fallback for the rest."""
    labels = _check_labels(alphabet)
    size = len(labels)
    keys, counts = context_counts(blocks, size, order)
    full, _ = id_space(size, order)
    ids, inverse = np.unique(keys // size, return_inverse=True)
    table = np.zeros((ids.size, size))
    np.add.at(table, (inverse, keys % size), counts)
    totals = table.sum(axis=1, keepdims=True)
    rows = (table + alpha) / (totals + alpha * size)
    empty = full  # the empty context (a message's first symbol, and the order-0 counts)
    at = np.searchsorted(ids, empty)
    if at == ids.size or ids[at] != empty:
        raise CodesimError("there is nothing to estimate from: the training stream is empty")
    fallback = rows[at]
    is_full = ids < full
    contexts = Contexts(size, order, ids[is_full], True)
    return MarkovChain(labels, order, contexts, np.concatenate([rows[is_full], fallback[None, :]]),
                       ids[~is_full], rows[~is_full])


# -- the scenario kind "markov" ------------------------------------------------------------------
def _from_table(table, setting, name):
    spec = table.sub("markov")
    transitions = spec.take("transitions", list)
    order = spec.integer("order", default=1, minimum=0, maximum=MAX_ORDER)
    initial = spec.take("initial", list, default=None)
    spec.done()
    try:
        if order == 0:  # an i.i.d. distribution, exactly as probs = [...] gives it
            if initial is not None:
                spec.fail("an order-0 chain has no context to start from: remove initial", "initial")
            if len(transitions) != 1:
                spec.fail(f"order 0 has one row (the distribution), got {len(transitions)}", "transitions")
            row = transitions[0]
            if not isinstance(row, list):
                spec.fail("order 0's one row must be a list of probabilities", "transitions")
            return Distribution.from_probs(row, setting.alphabet)
        return MarkovChain.from_transitions(transitions, setting.alphabet, order, initial)
    except CodesimError as exc:
        if isinstance(exc, ScenarioError):
            raise
        spec.fail(str(exc))


register(Kind("markov", _from_table))
