"""What the tests and the benchmarks share: real components started for them (PostgreSQL
scratch databases, the S3 server, the production stack), reading a topic back, and waiting."""
