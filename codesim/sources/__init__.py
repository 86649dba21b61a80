"""Sources p and models q: what streams are drawn from, and what codes are built from.

:mod:`.base` says what a source and a model are; each other module is one family, and registers the
scenario kinds it defines when imported (in this order, which is the order a scenario lists them in).
"""

from . import iid, markov, estimate, files, continuous, integer  # noqa: F401
