"""nginx with the reverse-proxy configuration of `deploy/`, unprivileged, in a scratch prefix.

The site file is `deploy/nginx/tapedeck.conf` itself, included as it is; only the two files it
includes by design (deploy/README.md) are this run's: `tapedeck/instances.conf` is the deploy
example with its ports replaced by the instances', `tapedeck/listen.conf` listens on a free
loopback port. The main `nginx.conf` is the minimum around them (pid, logs and temporary files
inside the prefix).
"""
import os
import re
import shutil
import subprocess
import socket
import tempfile

from net import free_port, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY_NGINX = os.path.join(ROOT, "deploy", "nginx")
SITE = os.path.join(DEPLOY_NGINX, "tapedeck.conf")


def nginx_binary():
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def instances_conf(ports):
    """deploy/nginx/tapedeck/instances.conf with its `server` lines' ports replaced, in order
    (its health-check parameters kept); one line per port, the example's last line repeated."""
    with open(os.path.join(DEPLOY_NGINX, "tapedeck", "instances.conf")) as f:
        text = f.read()
    lines = text.splitlines()
    servers = [i for i, line in enumerate(lines) if re.match(r"\s*server\s+127\.0\.0\.1:\d+", line)]
    if not servers:
        raise RuntimeError("deploy/nginx/tapedeck/instances.conf names no 127.0.0.1:PORT server")
    template = lines[servers[-1]]
    head = [line for i, line in enumerate(lines) if i not in servers]
    body = [re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", template) for port in ports]
    return "\n".join(head + body) + "\n"


class DeployNginx:
    def __init__(self, ports, artifacts, name="deploy-nginx", port=None):
        self.binary = nginx_binary()
        if not self.binary:
            raise RuntimeError("nginx is not installed (the Debian package nginx)")
        self.prefix = tempfile.mkdtemp(prefix="tapedeck-nginx-")
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.artifacts = artifacts
        self.name = name
        conf = os.path.join(self.prefix, "conf")
        os.makedirs(os.path.join(conf, "tapedeck"))
        os.makedirs(os.path.join(self.prefix, "logs"))
        with open(os.path.join(conf, "tapedeck", "instances.conf"), "w") as f:
            f.write(instances_conf(ports))
        with open(os.path.join(conf, "tapedeck", "listen.conf"), "w") as f:
            f.write(f"listen 127.0.0.1:{self.port};\nserver_name localhost;\n")
        self.access_log = os.path.join(self.prefix, "logs", "access.log")
        self.error_log = os.path.join(self.prefix, "logs", "error.log")
        temp = {kind: os.path.join(self.prefix, kind) for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers that can read the prefix
        with open(os.path.join(conf, "nginx.conf"), "w") as f:
            f.write(f"""{user}daemon off;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.error_log} notice;
events {{ worker_connections 4096; }}
http {{
    access_log {self.access_log} combined;
    client_body_temp_path {temp['client_body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {SITE};
}}
""")
        self.config = os.path.join(conf, "nginx.conf")
        self.process = None

    def test_config(self):
        """`nginx -t` on the configuration: (ok, what it printed)."""
        done = subprocess.run([self.binary, "-p", self.prefix, "-c", self.config, "-t"], capture_output=True, text=True)
        return done.returncode == 0, done.stderr

    def start(self):
        ok, output = self.test_config()
        if not ok:
            raise RuntimeError(f"nginx refuses the deploy configuration:\n{output}")
        self.process = subprocess.Popen([self.binary, "-p", self.prefix, "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening():
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_until(listening, timeout=10, interval=0.05, what="nginx listening")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.artifacts:
            os.makedirs(self.artifacts, exist_ok=True)
            for log in (self.access_log, self.error_log):
                if os.path.exists(log):
                    shutil.copy(log, os.path.join(self.artifacts, f"{self.name}-{os.path.basename(log)}"))
        shutil.rmtree(self.prefix, ignore_errors=True)

    def pids(self):
        """The master's pid and its workers' (for CPU accounting)."""
        if not self.process:
            return []
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        return [self.process.pid, *map(int, children)]

