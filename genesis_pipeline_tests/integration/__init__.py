"""One adapter against its real component: the store on SQLite and PostgreSQL, Kafka on the
Tansu broker, S3 on moto's server, the model client on a local HTTP server, the CLI."""
