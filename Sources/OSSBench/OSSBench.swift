// Module OSSBench — see README.md and ../../shared/docs/DESIGN.md for its place in the architecture.
