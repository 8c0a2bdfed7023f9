"""Models: the architecture registry, transfer bases, parameter explanations, layer tracing and the per-model cache."""
