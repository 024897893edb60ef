"""A TCP proxy on the loopback that delays every answer by a fixed latency.

    python bench/latency_proxy.py --port 9100 --upstream-port 8042 --latency-ms 10

A local engine answers in microseconds; AWS's DynamoDB answers after 5-10 ms
of network. This proxy adds that wait to every chunk the engine sends back
(each is delivered ``latency`` after it arrived, in order), so a benchmark
sees what a server spends waiting on DynamoDB. Requests are forwarded at once;
many connections are served concurrently (asyncio), so the proxy adds latency,
not a throughput limit.
"""

import argparse
import asyncio
import contextlib
import time


async def pipe(reader, writer, delay):
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds after it arrived."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            await queue.put((time.monotonic() + delay, data))
    except ConnectionError:
        pass
    finally:
        await queue.put((0, None))
        with contextlib.suppress(ConnectionError):
            await sender
        writer.close()


async def serve(port, upstream_port, latency):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", upstream_port
            )
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, upstream_writer, 0),
            pipe(upstream_reader, client_writer, latency),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, required=True)
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.upstream_port, arguments.latency_ms / 1000))


if __name__ == "__main__":
    main()
