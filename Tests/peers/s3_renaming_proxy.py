"""An S3 endpoint that answers CompleteMultipartUpload as some S3-compatible servers do: the
document's root is `CompleteMultipartUploadResponse` instead of `CompleteMultipartUploadResult`.

    python Tests/peers/s3_renaming_proxy.py PORT UPSTREAM

Every request is passed to UPSTREAM (a moto server in default mode, which checks no signatures)
unchanged; only that one answer is rewritten.
"""
import http.client
import http.server
import sys
import urllib.parse

PORT, UPSTREAM = int(sys.argv[1]), urllib.parse.urlsplit(sys.argv[2])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        if self.command == "POST" and "uploadId=" in self.path:
            data = data.replace(b"CompleteMultipartUploadResult", b"CompleteMultipartUploadResponse")
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        # A HEAD answer's length is the object's, not of the (empty) body.
        self.send_header("Content-Length", answer.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
