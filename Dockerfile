# syntax=docker/dockerfile:1
# The django service: gunicorn serving the project, static files by whitenoise.

# Any image with the project's Python (3.11) as python3, its venv module included
# (.ci/image builds on a Debian bookworm base of its own: Docker Hub is out of its reach).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Only the locked versions, each checked against its hash; wheels only, so nothing is
# built with unchecked build dependencies.
RUN /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r /tmp/requirements.txt
COPY src/ /app/src/
# Static files and bytecode are made here: at run time the code's folders are read-only.
RUN cd /app/src \
    && DJANGO_DEBUG=true /opt/venv/bin/python manage.py collectstatic --noinput \
    && /opt/venv/bin/python -m compileall -q /app/src \
    && chmod -R u=rwX,go=rX /app/src

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_HOST=0.0.0.0 \
    DJANGO_PORT=8000 \
    WHITENOISE_USE_FINDERS=false \
    DATABASE_URL=sqlite:////app/data/db.sqlite3
# The code, its static files and the venv belong to root, read-only for app: app may
# write only /app/data (the SQLite database).
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/data \
    && chown app:app /app/data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/src /app/src
WORKDIR /app/src
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/', timeout=2)"]
CMD ["gunicorn", "--config", "/app/src/project/gunicorn.conf.py"]
