"""Generates 100ms management-token vectors with PyJWT, an implementation independent of Tapedeck.

    .venv/bin/python tools/vectors/hms_vectors.py > Tests/HMSTests/Vectors/hms_tokens.json
    .venv/bin/python tools/vectors/hms_vectors.py --decode SECRET ACCESS_KEY TOKEN

- tokens: management tokens for a fixed clock and jti, with the claims 100ms' SDKs put in
  (iat backdated 10 s, nbf = iat, exp = iat + 24 h, type "management", version 2). The claims are
  given with sorted keys, as PyJWT keeps insertion order, so the Swift minter must produce the
  very same bytes.
- signatures: PyJWT's HS256 over fixed header and payload segments (other headers, non-ASCII and
  escaped payloads), to compare with the Swift signer segment for segment.
- rejected: tokens that must not verify (wrong secret, altered payload, alg none, other alg).

With --decode, verifies a token (signature, exp, nbf, iat at the current time) and prints its
claims as JSON; the Swift tests use it to have PyJWT read a token Swift minted just now.
"""
import base64
import json
import sys
import warnings

import jwt

# Some vectors use short secrets on purpose (100ms does not require a length).
warnings.filterwarnings("ignore", message="The HMAC key is")

ACCESS_KEY = "65f1c0ffee0a1b2c3d4e5f60"
SECRET = "hms-vector-secret/with+symbols=and-enough-entropy-0123456789"
T0 = 1_795_000_000  # seconds; a fixed moment in 2026
BACKDATE = 10
LIFETIME = 24 * 3600


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def management_claims(access_key, now, jti, lifetime=LIFETIME):
    iat = int(now) - BACKDATE
    claims = {"access_key": access_key, "type": "management", "version": 2, "iat": iat, "nbf": iat,
              "exp": iat + lifetime, "jti": jti}
    return dict(sorted(claims.items()))


def token_case(name, now, jti, lifetime=LIFETIME, access_key=ACCESS_KEY, secret=SECRET):
    claims = management_claims(access_key, now, jti, lifetime)
    token = jwt.encode(claims, secret, algorithm="HS256")
    # Read back by PyJWT itself at a moment the token is valid.
    decoded = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False,
                                                                       "verify_nbf": False})
    assert decoded == claims
    return {"name": name, "access_key": access_key, "secret": secret, "now": now, "jti": jti, "lifetime": lifetime,
            "claims": claims, "token": token}


def signature_case(name, payload_bytes, headers=None, secret=SECRET):
    token = jwt.encode(payload_bytes, secret, algorithm="HS256", headers=headers) if isinstance(payload_bytes, dict) \
        else jwt.api_jws.encode(payload_bytes, secret, algorithm="HS256", headers=headers)
    header_segment, payload_segment, signature = token.split(".")
    return {"name": name, "secret": secret, "header": header_segment, "payload": payload_segment,
            "signature": signature, "token": token}


def rejected_cases():
    good = jwt.encode(management_claims(ACCESS_KEY, T0, "0b7e1c55-4bd4-4c1e-9d0a-35a3a4f1c111"), SECRET,
                      algorithm="HS256")
    header, payload, signature = good.split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    altered["access_key"] = "someone-else"
    altered_payload = b64url(json.dumps(altered, separators=(",", ":")).encode())
    none_header = b64url(b'{"alg":"none","typ":"JWT"}')
    return [
        {"name": "wrong secret", "token": jwt.encode({"access_key": ACCESS_KEY}, "another-secret", algorithm="HS256")},
        {"name": "altered payload", "token": ".".join([header, altered_payload, signature])},
        {"name": "alg none", "token": ".".join([none_header, payload, ""])},
        {"name": "HS512", "token": jwt.encode({"access_key": ACCESS_KEY}, SECRET + SECRET, algorithm="HS512")},
        {"name": "truncated", "token": ".".join([header, payload])},
    ]


def generate():
    return {
        "tokens": [
            token_case("whole second", T0, "0b7e1c55-4bd4-4c1e-9d0a-35a3a4f1c111"),
            token_case("fractional second", T0 + 0.999, "5e0f4a8c-2f4b-4a43-8d8b-0c1e6f7a9b21"),
            token_case("short lifetime", T0 + 3600, "c3d2e1f0-1234-4abc-8def-001122334455", lifetime=120),
            token_case("key with slash", T0, "9a8b7c6d-5e4f-4a3b-9c2d-1e0f00000001", access_key="key/with/slash",
                       secret="s"),
        ],
        "signatures": [
            signature_case("management claims", management_claims(ACCESS_KEY, T0, "aa")),
            signature_case("extra header", {"access_key": ACCESS_KEY}, headers={"kid": "k1"}),
            signature_case("raw payload bytes", '{"note":"caf\u00e9 \u2028 </script>","n":1.5}'.encode()),
            signature_case("empty payload object", b"{}"),
            signature_case("binary secret", b'{"a":1}', secret="\u00e9\u00e8\u00ea-utf8-secret"),
        ],
        "rejected": rejected_cases(),
    }


def decode(secret, access_key, token):
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat", "nbf", "jti"]})
    assert claims["access_key"] == access_key, claims
    assert claims["type"] == "management" and claims["version"] == 2 and type(claims["version"]) is int, claims
    assert claims["nbf"] == claims["iat"] and claims["exp"] - claims["iat"] == LIFETIME, claims
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "typ": "JWT"}, header
    return claims


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--decode":
        json.dump(decode(sys.argv[2], sys.argv[3], sys.argv[4]), sys.stdout, sort_keys=True)
    else:
        json.dump(generate(), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
