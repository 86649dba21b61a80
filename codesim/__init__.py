"""codesim: a coding-theory simulator.

Codes are built from an assumed distribution q, run on streams drawn from the true distribution p,
decoded again, and measured: the extra bits per symbol over H(p) are a Kullback-Leibler divergence
(for a source with memory, over the entropy rate: a KL divergence rate).
"""

from .coders import Coder, PrefixCode, SchemeSpec, build
from .sources.iid import Distribution
from .sources.markov import MarkovChain, cross_entropy_rate, kl_rate
from .errors import CodesimError
from .measures import cross_entropy, entropy, kl_divergence, log_likelihood_ratio
from .scenario import Scenario, load
from .simulation.simulate import Measurement, simulate, simulate_many
from .notebook import Points, Results, compare, converge, run, sweep
from .version import version as _installed_version

__version__ = _installed_version()

__all__ = [
    "Coder", "PrefixCode", "SchemeSpec", "build", "Distribution", "CodesimError", "cross_entropy",
    "entropy", "kl_divergence", "log_likelihood_ratio", "Scenario", "load", "Measurement", "simulate",
    "simulate_many", "MarkovChain", "cross_entropy_rate", "kl_rate",
    "run", "compare", "converge", "sweep", "Results", "Points", "__version__",
]
