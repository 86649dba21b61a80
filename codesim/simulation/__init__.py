"""Running codes on streams: simulations, experiments, benchmarks and where their tasks run."""
