"""The local DynamoDB engine: moto's server, made as strict as DynamoDB where it matters.

    python -m dynamodb.local_engine --port 8042 [--host 127.0.0.1]

``./manage.sh run`` and the test suite both start this one implementation
(moto comes from requirements-local.txt; it is never a production dependency).

- **Linearisable writes.** moto's server handles each request in a thread
  and its DynamoDB backend takes no lock: two concurrent conditional writes
  to one item can both pass their condition (measured: 8 threads of
  read-then-conditional-update on one item, 262 writes acknowledged, the
  version at 261). DynamoDB applies the writes to an item one at a time.
  Here every request is handled under one lock, so conditions hold as on
  DynamoDB: a duplicate create is refused, an If-Match update cannot be lost.
- **No web page can reach it.** moto answers any origin with permissive
  CORS headers, and its control API (``/moto-api/reset``) wipes every table
  on a plain form POST. Here CORS is off (``MOTO_DISABLE_GLOBAL_CORS``), a
  request carrying an ``Origin`` header (which browsers add and SDKs never
  send) is refused, and the control API answers reads only.
"""

import argparse
import json
import os
import signal
import sys
import threading


def refuse(start_response, message):
    """403 with a DynamoDB-shaped error body."""
    body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
    start_response(
        "403 Forbidden",
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
    )
    return [body]


def serialised(application):
    """A WSGI application handling one request at a time, closed to web pages."""
    lock = threading.Lock()

    def serve(environ, start_response):
        if environ.get("HTTP_ORIGIN"):
            return refuse(start_response, "The local engine refuses requests from web pages.")
        control = environ.get("PATH_INFO", "").startswith("/moto-api/")
        if control and environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return refuse(start_response, "The local engine's control API is read-only.")
        with lock:
            # Read the whole answer under the lock: a streamed one would run outside it.
            return list(application(environ, start_response))

    return serve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    args = parser.parse_args(argv)
    # moto reads its settings when first imported.
    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    application = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialised(application),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
