# A small image for the VEO video bot. PyAV's wheel bundles FFmpeg, so no system ffmpeg is needed.
# The base image is pinned to a patch release; the Python packages come from uv.lock.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/bot.sqlite3 \
    TEMP_DIR=/data/tmp \
    HEARTBEAT_FILE=/data/heartbeat

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml uv.lock README.md LICENSE ./
# The locked versions first (with their hashes), then the bot itself without resolving anything again.
RUN pip install --no-cache-dir uv==0.13.9 \
    && uv export --frozen --no-emit-project --quiet -o /tmp/requirements.txt \
    && pip install --no-cache-dir --no-deps --require-hashes -r /tmp/requirements.txt \
    && pip uninstall --yes uv \
    && rm /tmp/requirements.txt
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir --no-deps .

USER 10001
VOLUME ["/data"]

# Liveness: the running bot rewrites HEARTBEAT_FILE every 15 s; the probe only reads its age (stdlib only).
# `python -m bot --check` stays the first-run readiness check.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck", "/data/heartbeat"]

CMD ["python", "-m", "bot"]
