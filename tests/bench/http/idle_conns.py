"""Opens N keep-alive connections to a server, sends one request on each, keeps
them idle, and prints the server process's resident memory before and after."""
import selectors
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
before = rss_kib(pid)
socks = []
req = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
answered = 0
for s in socks:
    s.settimeout(10)
    data = b""
    while b"alive" not in data:
        data += s.recv(4096)
    answered += 1
time.sleep(1)
after = rss_kib(pid)
print(f"idle     {answered} keep-alive connections answered and held by one process: "
      f"RSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
      f"({(after - before) * 1024 / n:.0f} bytes per connection)")
for s in socks:
    s.close()
