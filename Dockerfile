# Closer: a small, non-root image.
#   docker build -t closer .
#   docker run --env-file .env -v closer-data:/data closer
#
# The base image is pinned by digest so a rebuild gets the same system. The digest is the
# multi-arch index of python:3.11.10-slim-bookworm as recorded in a public Renovate-maintained
# Dockerfile (it could not be pulled from this machine). To move it: `docker buildx imagetools
# inspect python:3.11-slim-bookworm` and paste the new "Digest:" into both FROM lines.
FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16 AS build
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-cache-dir --prefix=/install -r requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY prompts ./prompts
# Dependencies come only from the lock above; this installs Closer and its prompt library.
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_PATH=/data/closer.db
RUN useradd --create-home --uid 10001 closer && mkdir -p /data && chown closer /data
COPY --from=build /install /usr/local
WORKDIR /app
USER closer
VOLUME ["/data"]
# The bot touches /data/heartbeat on every outbox tick while connected to Discord.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
