"""Load generator for `make bench`: a separate process that drives one operation
with N concurrent clients for a fixed time and prints JSON results."""

import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


def run(spec: dict) -> dict:
    url = urlsplit(spec["base"])
    deadline = time.monotonic() + spec["seconds"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queries: list[int] = []
    lock = threading.Lock()
    bodies = spec.get("bodies") or [spec.get("body")]
    counter = [0]
    errors: dict[str, str] = {}

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                index = counter[0]
                counter[0] += 1
            body = bodies[index % len(bodies)]
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            started = time.perf_counter()
            try:
                connection.request(spec["method"], spec["path"], body=body, headers=spec["headers"])
                response = connection.getresponse()
                content = response.read()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.status >= 400 and "sample_error" not in errors:
                        errors["sample_error"] = content[:300].decode(errors="replace")
                    count = response.getheader("X-Query-Count")
                    if count is not None:
                        queries.append(int(count))
            except (OSError, http.client.HTTPException):
                with lock:
                    statuses[0] = statuses.get(0, 0) + 1
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(spec["concurrency"])]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - begun
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0,
        "queries": statistics.median(queries) if queries else 0,
        "statuses": statuses,
        **errors,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
