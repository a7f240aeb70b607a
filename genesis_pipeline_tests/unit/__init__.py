"""Pure rules: domain, gates, the service layer (on a SQLite store), the offline generator."""
