"""Generates SigV4 test vectors with botocore, the reference implementation, under a frozen clock.

    .venv/bin/python tools/vectors/sigv4_vectors.py > Tests/ObjectStorageTests/Vectors/sigv4.json

The Swift tests sign the same inputs and compare byte for byte. Inputs cover the AWS
documentation examples, path-style endpoints with a port, keys with spaces, '+', unicode and
reserved characters, response overrides, session tokens and the multipart/listing queries.
"""
import datetime
import json
import sys
from unittest import mock
from urllib.parse import quote, urlsplit, parse_qsl

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

DOC_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
DOC_DATE = datetime.datetime(2013, 5, 24, 0, 0, 0)
LATER = datetime.datetime(2026, 11, 22, 9, 30, 15)


def url_for(endpoint, bucket, key, path_style, query=(), scheme="http"):
    path = "/" + quote(key, safe="/~")
    if path_style:
        host = endpoint
        path = "/" + bucket + path
    else:
        host = f"{bucket}.{endpoint}"
    query_string = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    return f"{scheme}://{host}{path}" + (f"?{query_string}" if query_string else "")


def header_vector(name, method, url, headers, moment, region="us-east-1", keys=DOC_KEY, token=None, unsigned=False):
    """botocore chooses the payload hash itself: the SHA-256 of the (empty) body, or
    UNSIGNED-PAYLOAD over https when payload signing is off; the vector records what it signed."""
    credentials = Credentials(keys[0], keys[1], token)
    request = AWSRequest(method=method, url=url, headers=dict(headers))
    request.context["client_config"] = Config(s3={"payload_signing_enabled": not unsigned})
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        S3SigV4Auth(credentials, "s3", region).add_auth(request)
    payload_hash = request.headers["X-Amz-Content-SHA256"]
    parts = urlsplit(url)
    return {
        "name": name, "kind": "header", "method": method, "host": parts.netloc, "path": parts.path,
        "query": parse_qsl(parts.query, keep_blank_values=True), "headers": headers,
        "payload_hash": payload_hash, "epoch": moment.replace(tzinfo=datetime.timezone.utc).timestamp(),
        "region": region, "access_key": keys[0], "secret_key": keys[1], "session_token": token,
        "expected_authorization": request.headers["Authorization"],
        "expected_date": request.headers["X-Amz-Date"],
    }


def presign_vector(name, method, url, expires, moment, region="us-east-1", keys=DOC_KEY, token=None):
    credentials = Credentials(keys[0], keys[1], token)
    request = AWSRequest(method=method, url=url)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        S3SigV4QueryAuth(credentials, "s3", region, expires=expires).add_auth(request)
    parts = urlsplit(url)
    signed = urlsplit(request.url)
    return {
        "name": name, "kind": "presign", "method": method, "host": parts.netloc, "path": parts.path,
        "query": parse_qsl(parts.query, keep_blank_values=True), "expires": expires,
        "epoch": moment.replace(tzinfo=datetime.timezone.utc).timestamp(), "region": region,
        "access_key": keys[0], "secret_key": keys[1], "session_token": token,
        "expected_query": signed.query,
        "expected_signature": dict(parse_qsl(signed.query))["X-Amz-Signature"],
    }


ODD_KEY = "room a/2026-01-01_10-00-00/ünïcødé file+(1)=~.mp4"

vectors = [
    header_vector("aws-doc GET with Range", "GET", "https://examplebucket.s3.amazonaws.com/test.txt",
                  [["Range", "bytes=0-9"]], DOC_DATE),
    presign_vector("aws-doc presigned GET", "GET", "https://examplebucket.s3.amazonaws.com/test.txt", 86400, DOC_DATE),
    header_vector("path-style with port", "GET",
                  url_for("127.0.0.1:9000", "recordings", "math-101/math-101_2026-01-01_10-00-00/index.m3u8", True),
                  [], LATER, region="auto", keys=("minioadmin", "minio/secret+key")),
    header_vector("odd key, PUT with content type, unsigned payload", "PUT",
                  url_for("s3.eu-west-1.amazonaws.com", "bucket", ODD_KEY, False, scheme="https"),
                  [["Content-Type", "video/mp4"]], LATER, region="eu-west-1", unsigned=True),
    header_vector("session token", "HEAD", url_for("s3.us-west-2.amazonaws.com", "bucket", "a/b.ts", False),
                  [], LATER, region="us-west-2", token="FwoGZXIvYXdzEJr//////////token+with/odd=chars"),
    header_vector("create multipart upload", "POST",
                  url_for("localhost:5000", "bucket", ODD_KEY, True, [("uploads", "")]),
                  [["Content-Type", "video/mp4"]], LATER),
    header_vector("upload part, unsigned payload", "PUT",
                  url_for("localhost:5000", "bucket", "r/s/session.mp4", True,
                          [("partNumber", "3"), ("uploadId", "2~Xb/Q+=zq")], scheme="https"),
                  [["Content-Length", "8388608"]], LATER, unsigned=True),
    header_vector("list objects v2", "GET",
                  url_for("localhost:5000", "bucket", "", True,
                          [("list-type", "2"), ("prefix", "room a/"), ("continuation-token", "1/abc=="),
                           ("max-keys", "1000")]),
                  [], LATER),
    presign_vector("presign path-style with port", "GET",
                   url_for("127.0.0.1:9000", "recordings", "math-101/x/segment_00001.ts", True), 3600, LATER,
                   region="auto"),
    presign_vector("presign odd key with response overrides", "GET",
                   url_for("s3.eu-west-1.amazonaws.com", "bucket", ODD_KEY, False,
                           [("response-content-disposition", 'attachment; filename="math 101 2026-01-01.mp4"'),
                            ("response-content-type", "video/mp4")]),
                   3600, LATER, region="eu-west-1"),
    presign_vector("presign with session token", "GET",
                   url_for("s3.us-west-2.amazonaws.com", "bucket", "a/b c.mp4", False), 604800, LATER,
                   region="us-west-2", token="IQoJb3JpZ2luX2VjE+session/token=="),
]

json.dump(vectors, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
