"""An HTTPS endpoint whose certificate nobody trusts (self-signed, made here
with `cryptography`, which moto already installs): python tls_server.py PORT.
Accepts TLS handshakes on 127.0.0.1:PORT for 60 s and answers nothing, so a
client that checks certificates must refuse it (tests/s3/run.sh)."""
import datetime
import socket
import ssl
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(minutes=5))
    .not_valid_after(now + datetime.timedelta(hours=1))
    .sign(key, hashes.SHA256())
)
with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(f.name)

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(16)
server.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        conn, _ = server.accept()
    except socket.timeout:
        continue
    try:
        context.wrap_socket(conn, server_side=True).recv(1)
    except (ssl.SSLError, OSError):
        pass
