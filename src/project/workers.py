"""gunicorn's worker for ASGI serving (DJANGO_SERVER=asgi): uvicorn on uvloop and httptools."""

from uvicorn_worker import UvicornWorker


class AsgiWorker(UvicornWorker):
    """uvicorn under gunicorn, configured for this service.

    - ``proxy_headers`` off: uvicorn would otherwise take the client address from
      X-Forwarded-For of any request from 127.0.0.1; Django and DRF decide how far
      to trust that header (DJANGO_NUM_PROXIES), as under WSGI.
    - ``lifespan`` off: Django's ASGI application has no startup or shutdown events.
    """

    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": "httptools",
        "proxy_headers": False,
        "lifespan": "off",
    }
