"""Operating RetainAI: the database schema, the expectation suites and the local production
stack (Prefect server, MLflow server, worker and API as process groups)."""
