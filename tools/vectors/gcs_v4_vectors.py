"""Generates GCS V4 signed-URL vectors with the google-cloud-storage library, clock frozen.

    .venv/bin/python tools/vectors/gcs_v4_vectors.py > Tests/ObjectStorageTests/Vectors/gcs_v4.json

A throwaway RSA key made here (for these tests only) stands in for a service account's key; the
library's Blob.generate_signed_url does the encoding and signing, and the Swift tests must
produce the same URLs.
"""
import datetime
import json
import sys
from unittest import mock

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.cloud import storage
from google.cloud.storage import _signing
from google.oauth2 import service_account

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()).decode()
info = {
    "type": "service_account", "project_id": "tapedeck-test", "private_key_id": "test-key",
    "private_key": pem, "client_email": "recorder@tapedeck-test.iam.gserviceaccount.com",
    "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
}
credentials = service_account.Credentials.from_service_account_info(info)
client = storage.Client(project="tapedeck-test", credentials=credentials)

cases = [
    ("plain key", "recordings", "math-101/math-101_2026-01-01_10-00-00/session.mp4", 3600, {}),
    ("odd key", "recordings", "room a/ünïcødé file+(1)=~.mp4", 900, {}),
    ("download override", "recordings", "r/s/session.mp4", 604800,
     {"response_disposition": 'attachment; filename="math 101 2026-01-01.mp4"', "response_type": "video/mp4"}),
]
moment = datetime.datetime(2026, 11, 22, 9, 30, 15)
vectors = []
for name, bucket, blob_name, expires, extra in cases:
    blob = client.bucket(bucket).blob(blob_name)
    with mock.patch.object(_signing, "get_v4_now_dtstamps", return_value=(moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d"))):
        url = blob.generate_signed_url(version="v4", expiration=expires, method="GET", credentials=credentials, **extra)
    vectors.append({
        "name": name, "bucket": bucket, "key": blob_name, "expires": expires,
        "epoch": moment.replace(tzinfo=datetime.timezone.utc).timestamp(),
        "content_disposition": extra.get("response_disposition"), "content_type": extra.get("response_type"),
        "expected_url": url,
    })

json.dump({"service_account": info, "vectors": vectors}, sys.stdout, indent=2, ensure_ascii=False)
sys.stdout.write("\n")
