# One image for every RetainAI process: the API and dashboard (`retainai serve`), the Prefect
# server and worker, and the MLflow server (the public MLflow image has neither the PostgreSQL
# driver nor boto3; our lock has psycopg, asyncpg and boto3). The locked dependencies are
# installed at build time, never at container start; the container runs as `retainai`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --home-dir /home/retainai --uid 10001 --user-group retainai
WORKDIR /app

# The project's runtime dependencies, every one at its requirements.lock version (the lock
# also pins the development tools; they stay out of the image).
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir uv==0.13.8 \
    && uv pip install --system --no-cache --compile-bytecode \
        --constraint requirements.lock --requirements pyproject.toml

COPY . .
RUN uv pip install --system --no-cache --no-deps -e . \
    && mkdir -p /app/.state/prefect \
    && chown -R retainai:retainai /app/.state

ENV RETAINAI_HOME=/app RETAINAI_STATE_DIR=/app/.state PREFECT_HOME=/app/.state/prefect \
    PREFECT_SERVER_ANALYTICS_ENABLED=false MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
USER retainai
EXPOSE 8000
CMD ["retainai", "serve", "--host", "0.0.0.0", "--port", "8000"]
