-- The MLflow and Prefect databases beside the application's (POSTGRES_DB), owned by the
-- same user. The postgres image runs this once, on an empty data directory; it is safe to
-- run again: a database that exists is left as it is.
SELECT 'CREATE DATABASE mlflow'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mlflow')\gexec

SELECT 'CREATE DATABASE prefect'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'prefect')\gexec
