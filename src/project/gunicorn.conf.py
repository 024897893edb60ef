"""gunicorn settings, read from the environment (see .env.example)."""

import multiprocessing
import os

bind = f"{os.environ.get('DJANGO_HOST', '0.0.0.0')}:{os.environ.get('DJANGO_PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Longer than the worst DynamoDB call: DYNAMODB_MAX_ATTEMPTS x (connect + read timeout)
# plus retry backoff, so a slow engine gives a 503 from Django, never a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
chdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# DJANGO_SERVER: "asgi" (default) serves the ASGI application with uvicorn workers, each
# serving many requests at once in one event loop; "wsgi" the WSGI one with sync workers.
if os.environ.get("DJANGO_SERVER", "asgi") == "wsgi":
    wsgi_app = "project.wsgi:application"
else:
    wsgi_app = "project.asgi:application"
    worker_class = "project.workers.AsgiWorker"
# gunicorn's control socket (for gunicornc) is one path per user by default, shared by
# every gunicorn on the machine, so one service would take over another's: off unless
# GUNICORN_CONTROL_SOCKET gives this service a path of its own (--control-socket on the
# command line sets a path but does not turn the socket back on).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
