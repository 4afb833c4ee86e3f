"""bpstep's benchmark harness (issue 7): ``python -m benchmarks [--quick] [-o FILE]``.

Kept import-free: ``benchmarks.child`` is spawned for every start-up measurement."""
