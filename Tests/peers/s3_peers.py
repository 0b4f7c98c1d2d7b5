"""Starts the storage servers the tests run against and prints their settings as shell exports.

    eval "$(.venv/bin/python Tests/peers/s3_peers.py start ARTIFACTS_DIR)"   # exports TEST_S3_*
    .venv/bin/python Tests/peers/s3_peers.py stop PID...

Two moto servers on 127.0.0.1: one in its default mode (S3 semantics, presigned URLs), one in
IAM mode where every request's SigV4 signature is checked (a wrong secret gets 403
SignatureDoesNotMatch). Both get a bucket named `tapedeck-test`. Also, from this folder, the
Supabase Storage stand-in (supabase_standin.py) with a bucket named `recordings`, and a proxy in
front of the default-mode moto that names CompleteMultipartUpload's answer as some S3-compatible
servers do (s3_renaming_proxy.py).
"""
import json
import os
import socket
import subprocess
import sys
import urllib.request

import boto3
from botocore.config import Config

from net import free_port, wait_until

BUCKET = "tapedeck-test"
HERE = os.path.dirname(os.path.abspath(__file__))


def answers(url):
    try:
        urllib.request.urlopen(url, timeout=1)
        return True
    except Exception:
        return False


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_started(condition, what, log_path):
    try:
        wait_until(condition, what=what, timeout=10, interval=0.05)
    except AssertionError:
        raise SystemExit(f"{what} did not start; see {log_path}") from None


def start_moto(log_path):
    port = free_port()
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    log = open(log_path, "w")
    process = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    wait_started(lambda: answers(endpoint + "/moto-api/"), "moto_server", log_path)
    return process, endpoint


def tapedeck_env(endpoint, bucket, prefix, key="testing", secret="testing"):
    """The settings that point `tapedeck serve` at a bucket of one of these servers."""
    return {"TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": endpoint, "TAPEDECK_S3_REGION": "us-east-1",
            "TAPEDECK_S3_BUCKET": bucket, "TAPEDECK_S3_ACCESS_KEY_ID": key, "TAPEDECK_S3_SECRET_ACCESS_KEY": secret,
            "TAPEDECK_S3_FORCE_PATH_STYLE": "true", "TAPEDECK_S3_PREFIX": prefix}


def client(service, endpoint, key="testing", secret="testing"):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))


def main():
    command = sys.argv[1]
    if command == "stop":
        for pid in sys.argv[2:]:
            try:
                os.killpg(int(pid), 15)
            except (ProcessLookupError, ValueError):
                pass
        return
    artifacts = sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)

    plain, plain_endpoint = start_moto(os.path.join(artifacts, "moto.log"))
    client("s3", plain_endpoint).create_bucket(Bucket=BUCKET)
    if command == "start-plain":
        print(f"export TEST_S3_ENDPOINT={plain_endpoint}")
        print(f"export TEST_S3_BUCKET={BUCKET}")
        print(f"export S3_PEER_PIDS='{plain.pid}'")
        return

    iam_process, iam_endpoint = start_moto(os.path.join(artifacts, "moto-iam.log"))
    iam = client("iam", iam_endpoint)
    iam.create_user(UserName="tapedeck")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="tapedeck", PolicyName="all-s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="tapedeck")["AccessKey"]
    client("s3", iam_endpoint, key["AccessKeyId"], key["SecretAccessKey"]).create_bucket(Bucket=BUCKET)
    request = urllib.request.Request(iam_endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=5)

    print(f"export TEST_S3_ENDPOINT={plain_endpoint}")
    print(f"export TEST_S3_BUCKET={BUCKET}")
    print(f"export TEST_S3_IAM_ENDPOINT={iam_endpoint}")
    print(f"export TEST_S3_IAM_ACCESS_KEY_ID={key['AccessKeyId']}")
    print(f"export TEST_S3_IAM_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
    standin_port = free_port()
    standin_key = "standin-service-key"
    standin_log = os.path.join(artifacts, "supabase-standin.log")
    standin = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "supabase_standin.py"), str(standin_port), standin_key, "recordings"],
        stdout=open(standin_log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_started(lambda: answers(f"http://127.0.0.1:{standin_port}/__violations"), "the Supabase stand-in", standin_log)

    renaming_port = free_port()
    renaming_log = os.path.join(artifacts, "s3-renaming-proxy.log")
    renaming = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "s3_renaming_proxy.py"), str(renaming_port), plain_endpoint],
        stdout=open(renaming_log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    wait_started(lambda: accepts(renaming_port), "the renaming S3 proxy", renaming_log)

    print(f"export TEST_SUPABASE_URL=http://127.0.0.1:{standin_port}")
    print(f"export TEST_SUPABASE_KEY={standin_key}")
    print(f"export TEST_S3_RENAMING_ENDPOINT=http://127.0.0.1:{renaming_port}")
    print(f"export S3_PEER_PIDS='{plain.pid} {iam_process.pid} {standin.pid} {renaming.pid}'")


if __name__ == "__main__":
    main()
