# Closer: a small, non-root image.
#   docker build -t closer .
#   docker run --env-file .env -v closer-data:/data closer
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_PATH=/data/closer.db \
    PROMPTS_DIR=/app/prompts
RUN useradd --create-home --uid 10001 closer && mkdir -p /data && chown closer /data
COPY --from=build /install /usr/local
WORKDIR /app
COPY prompts ./prompts
USER closer
VOLUME ["/data"]
# The bot touches /data/heartbeat on every outbox tick while connected to Discord.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
