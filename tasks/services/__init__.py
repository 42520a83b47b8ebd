"""The application layer: each use case once, Prefect-free, called alike by the flows' tasks,
the CLI, the API and the pages (one package per context)."""
