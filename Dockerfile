# Closer: a small, non-root image. Build: docker build -t closer .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/closer.db \
    PROMPTS_DIR=/app/prompts
RUN useradd --create-home --uid 10001 closer && mkdir -p /data && chown closer /data
COPY --from=build /install /usr/local
WORKDIR /app
COPY prompts ./prompts
USER closer
VOLUME ["/data"]
CMD ["python", "-m", "bot", "run"]
