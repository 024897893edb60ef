# syntax=docker/dockerfile:1
# The django service: gunicorn serving the project, static files by whitenoise.

FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.12-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_HOST=0.0.0.0 \
    DJANGO_PORT=8000 \
    WHITENOISE_USE_FINDERS=false \
    DATABASE_URL=sqlite:////app/data/db.sqlite3
RUN useradd --system --uid 10001 --create-home --home-dir /app app \
    && mkdir -p /app/data \
    && chown app:app /app/data
COPY --from=build /opt/venv /opt/venv
COPY --chown=app:app src/ /app/src/
WORKDIR /app/src
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/', timeout=2)"]
CMD ["gunicorn", "--config", "/app/src/project/gunicorn.conf.py"]
