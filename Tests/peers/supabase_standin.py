"""A strict local stand-in for Supabase Storage's REST API (`/storage/v1`), for the tests.

There is no Supabase server to run here; this implements the calls Tapedeck makes exactly as
PROTOCOLS.md describes them and refuses anything else, recording each deviation:

  POST   /object/{bucket}/{path}            upload (x-upsert, Content-Type, Content-Length required)
  HEAD   /object/{bucket}/{path}            info
  GET    /object/authenticated/{bucket}/{path}   download (Range supported)
  DELETE /object/{bucket}/{path}            delete one;  DELETE /object/{bucket} {"prefixes": [...]}
  POST   /object/list/{bucket}              {"prefix", "limit", "offset", "sortBy"} one folder level
  POST   /object/sign/{bucket}/{path}       {"expiresIn"} -> {"signedURL": "/object/sign/...?token=..."}
  POST   /object/sign/{bucket}              {"expiresIn", "paths"} -> [{"path", "signedURL", "error"}]
  GET    /object/sign/{bucket}/{path}?token=...[&download=name]   public access through a signed URL

Every authenticated call needs `Authorization: Bearer <key>` and `apikey: <key>`.
GET /__violations returns the list of deviations (the tests require it to be empty).

    python Tests/peers/supabase_standin.py PORT SERVICE_KEY BUCKET
"""
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, KEY, BUCKET = int(sys.argv[1]), sys.argv[2], sys.argv[3]
objects = {}  # name -> (bytes, content_type, etag)
violations = []
lock = threading.Lock()
SIGNING = b"standin-signing-key"


def sign(name, expires):
    mac = hmac.new(SIGNING, f"{name}|{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def violation(self, text, status=400):
        with lock:
            violations.append(f"{self.command} {self.path}: {text}")
        self.reply(status, {"statusCode": str(status), "error": "standin", "message": text})

    def reply(self, status, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if raw is None and body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def authenticated(self):
        if self.headers.get("Authorization") != f"Bearer {KEY}" or self.headers.get("apikey") != KEY:
            # A wrong key is refused as Supabase refuses it; only a missing header is a deviation.
            if "Authorization" not in self.headers or "apikey" not in self.headers:
                with lock:
                    violations.append(f"{self.command} {self.path}: missing Authorization or apikey header")
            self.reply(403, {"statusCode": "403", "error": "Unauthorized", "message": "invalid signature"})
            return False
        return True

    def body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            self.violation("uploads must declare Content-Length (chunked bodies are not accepted)")
            return None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def json_body(self):
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self.violation("JSON bodies need Content-Type: application/json")
            return None
        raw = self.body()
        try:
            return json.loads(raw)
        except Exception:
            self.violation("body is not JSON")
            return None

    def split(self, prefix):
        path = urllib.parse.urlsplit(self.path)
        rest = urllib.parse.unquote(path.path[len(prefix):])
        bucket, _, name = rest.partition("/")
        return bucket, name, urllib.parse.parse_qs(path.query)

    def check_bucket(self, bucket):
        if bucket != BUCKET:
            self.reply(404, {"statusCode": "404", "error": "Bucket not found", "message": "Bucket not found"})
            return False
        return True

    # --- verbs ---

    def do_GET(self):
        if self.path == "/__violations":
            return self.reply(200, violations)
        if self.path.startswith("/storage/v1/object/sign/"):
            bucket, name, query = self.split("/storage/v1/object/sign/")
            token = (query.get("token") or [""])[0]
            expires, _, mac = token.partition(".")
            if not token or not hmac.compare_digest(sign(name, expires), token) or int(expires) < time.time():
                return self.reply(400, {"statusCode": "400", "error": "InvalidJWT", "message": "invalid token"})
            return self.serve(name, query.get("download", [None])[0])
        if self.path.startswith("/storage/v1/object/authenticated/"):
            if not self.authenticated():
                return
            bucket, name, _ = self.split("/storage/v1/object/authenticated/")
            if self.check_bucket(bucket):
                self.serve(name, None)
            return
        self.violation("unexpected GET path", 404)

    def serve(self, name, download):
        with lock:
            entry = objects.get(name)
        if entry is None:
            return self.reply(404, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
        data, content_type, etag = entry
        headers = {"Content-Type": content_type, "ETag": etag, "Accept-Ranges": "bytes"}
        if download is not None:
            headers["Content-Disposition"] = f'attachment; filename="{download}"'
        spec = self.headers.get("Range")
        if spec and spec.startswith("bytes="):
            first, _, last = spec[6:].partition("-")
            if first == "":
                start, end = max(0, len(data) - int(last)), len(data) - 1
            else:
                start, end = int(first), min(len(data) - 1, int(last) if last else len(data) - 1)
            if start >= len(data):
                return self.reply(416, {"statusCode": "416", "error": "range", "message": "not satisfiable"},
                                  {"Content-Range": f"bytes */{len(data)}"})
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return self.reply(206, headers=headers, raw=data[start:end + 1])
        self.reply(200, headers=headers, raw=data)

    def do_HEAD(self):
        if not self.path.startswith("/storage/v1/object/") or not self.authenticated():
            return self.violation("unexpected HEAD path", 404) if not self.path.startswith("/storage/v1/object/") else None
        bucket, name, _ = self.split("/storage/v1/object/")
        if not self.check_bucket(bucket):
            return
        with lock:
            entry = objects.get(name)
        if entry is None:
            return self.reply(404)
        data, content_type, etag = entry
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", content_type)
        self.send_header("ETag", etag)
        self.end_headers()

    def do_POST(self):
        if not self.authenticated():
            return
        if self.path.startswith("/storage/v1/object/list/"):
            return self.list_objects()
        if self.path.startswith("/storage/v1/object/sign/"):
            return self.sign_objects()
        if self.path.startswith("/storage/v1/object/"):
            bucket, name, _ = self.split("/storage/v1/object/")
            if not self.check_bucket(bucket):
                return
            if not name:
                return self.violation("upload without an object path")
            if "Content-Type" not in self.headers:
                return self.violation("upload without Content-Type")
            data = self.body()
            if data is None:
                return
            with lock:
                exists = name in objects
            if exists and self.headers.get("x-upsert") != "true":
                return self.reply(400, {"statusCode": "409", "error": "Duplicate", "message": "The resource already exists"})
            etag = '"' + hashlib.md5(data).hexdigest() + '"'
            with lock:
                objects[name] = (data, self.headers["Content-Type"], etag)
            return self.reply(200, {"Key": f"{bucket}/{name}", "Id": str(uuid.uuid4())})
        self.violation("unexpected POST path", 404)

    def list_objects(self):
        bucket, _, _ = self.split("/storage/v1/object/list/")
        request = self.json_body()
        if request is None or not self.check_bucket(bucket):
            return
        if not isinstance(request.get("prefix"), str) or not isinstance(request.get("limit", 100), int):
            return self.violation("list needs a string prefix and an integer limit")
        folder = request["prefix"].strip("/")
        offset, limit = int(request.get("offset", 0)), int(request.get("limit", 100))
        entries = {}
        with lock:
            names = list(objects)
        for name in names:
            if folder and not name.startswith(folder + "/"):
                continue
            rest = name[len(folder) + 1:] if folder else name
            head, sep, _ = rest.partition("/")
            if sep:
                entries.setdefault(head, {"name": head, "id": None, "metadata": None})
            else:
                data, content_type, etag = objects[name]
                entries[head] = {"name": head, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                                 "metadata": {"size": len(data), "mimetype": content_type, "eTag": etag}}
        ordered = [entries[k] for k in sorted(entries)]
        self.reply(200, ordered[offset:offset + limit])

    def sign_objects(self):
        bucket, name, _ = self.split("/storage/v1/object/sign/")
        request = self.json_body()
        if request is None or not self.check_bucket(bucket):
            return
        if not isinstance(request.get("expiresIn"), int) or request["expiresIn"] <= 0:
            return self.violation("expiresIn must be a positive integer")
        expires = int(time.time()) + request["expiresIn"]

        def url(path):
            quoted = urllib.parse.quote(f"{bucket}/{path}")
            return f"/object/sign/{quoted}?token={sign(path, expires)}"

        if name:
            with lock:
                exists = name in objects
            if not exists:
                return self.reply(400, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
            return self.reply(200, {"signedURL": url(name)})
        paths = request.get("paths")
        if not isinstance(paths, list):
            return self.violation("batch signing needs paths")
        self.reply(200, [{"path": p, "signedURL": url(p), "error": None} for p in paths])

    def do_DELETE(self):
        if not self.authenticated():
            return
        bucket, name, _ = self.split("/storage/v1/object/")
        if not self.check_bucket(bucket):
            return
        if name:
            with lock:
                found = objects.pop(name, None)
            if found is None:
                return self.reply(400, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
            return self.reply(200, {"message": "Successfully deleted"})
        request = self.json_body()
        if request is None:
            return
        prefixes = request.get("prefixes")
        if not isinstance(prefixes, list):
            return self.violation("bulk delete needs prefixes")
        deleted = []
        with lock:
            for p in prefixes:
                if objects.pop(p, None) is not None:
                    deleted.append({"name": p})
        self.reply(200, deleted)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
