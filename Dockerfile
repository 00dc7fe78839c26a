# One image for every Python service of Parley (command_api, query_api,
# projector, realtime). compose.yaml picks the service with `command:`, so
# there is deliberately no CMD here.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# pyproject.toml names README.md as the package readme, so the build needs it.
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY command_api ./command_api
COPY query_api ./query_api
COPY projector ./projector
COPY realtime ./realtime
# The `parley` command for operators (replay, verify, audit, stats): `docker compose exec projector parley stats`.
COPY parley_cli ./parley_cli

RUN pip install --no-cache-dir .

# Run as an unprivileged user. /data/media is created and owned by that user in
# the image so that a fresh named volume mounted there inherits the ownership
# (Docker copies the image directory's owner and contents into an empty volume).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home parley \
    && mkdir -p /data/media \
    && chown -R parley:parley /data
USER parley
