"""moto's server, applying one request at a time: ``python serial_moto.py PORT``.

moto's own server (``moto.server``) runs each request in a thread, and its
DynamoDB backend takes no lock: two concurrent conditional writes to one item
can both pass their condition (measured: 8 threads of read-then-conditional-
update on one item, 262 writes acknowledged, version 261). DynamoDB applies
the writes to an item one at a time. Here the same moto application serves
its requests under one lock, so that conditions hold as on DynamoDB.
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main(port):
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    application = DomainDispatcherApplication(create_backend_app)
    application.debug = True
    lock = threading.Lock()

    def serial(environ, start_response):
        with lock:
            return list(application(environ, start_response))

    run_simple("127.0.0.1", port, serial, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(int(sys.argv[1]))
