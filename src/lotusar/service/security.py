"""API keys with roles, rate limits and request-size limits (a pure ASGI middleware).

Keys: ``LOTUSAR_API_KEYS="key1=operator,key2=requester:alice"`` or a JSON file
``{"<key>": {"role": "operator", "name": "ops"}}`` (``--keys FILE``). Keys are kept only as
SHA-256 digests and compared in constant time. A key is sent as ``Authorization: Bearer KEY``
or ``X-API-Key: KEY``. Roles: ``operator`` (ingest, collections, tasking status) ⊃
``requester`` (submit and follow own tasking requests). Reads are public.

Rate limit: a token bucket per client (API key digest, else client address), separately for
reads and writes; an empty bucket answers 429 with ``Retry-After``. Bodies larger than
``max_body_bytes`` answer 413 (from Content-Length, or counted while streaming).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lotusar.errors import InputFormatError, ValidationError

ROLES = ("requester", "operator")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def has(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """Digest → Principal."""

    def __init__(self, keys: dict[str, tuple[str, str]] | None = None):
        self._by_digest: dict[str, Principal] = {}
        for k, (role, name) in (keys or {}).items():
            self.add(k, role, name)

    def add(self, key: str, role: str, name: str | None = None) -> None:
        if role not in ROLES:
            raise ValidationError(f"API key role {role!r}: one of {', '.join(ROLES)}")
        if len(key) < 8:
            raise ValidationError("API keys need at least 8 characters")
        self._by_digest[_digest(key)] = Principal(name or role, role)

    def lookup(self, key: str | None) -> Principal | None:
        if not key:
            return None
        d = _digest(key)
        for known, p in self._by_digest.items():
            if hmac.compare_digest(known, d):
                return p
        return None

    def __len__(self) -> int:
        return len(self._by_digest)

    @classmethod
    def from_env_or_file(cls, path: str | os.PathLike | None = None) -> KeyStore:
        ks = cls()
        spec = os.environ.get("LOTUSAR_API_KEYS", "")
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if "=" not in part:
                raise ValidationError("LOTUSAR_API_KEYS entries are KEY=ROLE[:NAME]")
            k, rn = part.split("=", 1)
            role, _, name = rn.partition(":")
            ks.add(k, role, name or None)
        if path:
            p = Path(path)
            try:
                doc = json.loads(p.read_text())
            except json.JSONDecodeError as e:
                raise InputFormatError(f"{p}: line {e.lineno}: {e.msg}") from None
            if not isinstance(doc, dict):
                raise InputFormatError(f"{p}: expected an object {{key: {{role, name}}}}")
            for k, v in doc.items():
                if not isinstance(v, dict) or "role" not in v:
                    raise InputFormatError(f"{p}: key entry needs a 'role'")
                ks.add(k, v["role"], v.get("name"))
        return ks


class TokenBuckets:
    """Token bucket per client: ``rate_per_s`` refill, ``burst`` capacity (rate ≤ 0: unlimited)."""

    def __init__(self, rate_per_s: float, burst: float):
        self.rate = float(rate_per_s)
        self.burst = float(max(burst, 1.0))
        self._b: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else seconds until a token is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._b.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._b[client] = (tokens - 1.0, now)
                if len(self._b) > 100_000:  # forget idle clients
                    self._b = {k: v for k, v in self._b.items() if now - v[1] < 60}
                return 0.0
            self._b[client] = (tokens, now)
            return (1.0 - tokens) / self.rate


def _json_error(status: int, code: str, description: str, extra_headers: list | None = None):
    body = json.dumps({"code": code, "description": description}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())] + (extra_headers or [])
    return status, headers, body


CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'")


class GuardMiddleware:
    """ASGI middleware: size limit, rate limits and security headers on every response."""

    def __init__(self, app, *, max_body_bytes: int, read_buckets: TokenBuckets, write_buckets: TokenBuckets):
        self.app = app
        self.state: Any = getattr(app, "state", None)  # the wrapped app's state (catalog, config, ...)
        self.fastapi = app
        self.max_body = int(max_body_bytes)
        self.reads = read_buckets
        self.writes = write_buckets

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        is_write = method not in ("GET", "HEAD", "OPTIONS") and scope.get("path") != "/search"
        bearer = headers.get("authorization", "")
        key = headers.get("x-api-key") or (bearer[7:].strip() if bearer.lower().startswith("bearer ") else "")
        client = ("k:" + _digest(key)[:16]) if key else ("a:" + (scope.get("client") or ("?", 0))[0])
        wait = (self.writes if is_write else self.reads).take(client)
        if wait > 0:
            return await self._reply(send, *_json_error(429, "TooManyRequests", f"rate limit exceeded; retry in {wait:.1f} s",
                                                         [(b"retry-after", str(max(1, math.ceil(wait))).encode())]))
        cl = headers.get("content-length")
        if cl is not None:
            try:
                n = int(cl)
            except ValueError:
                return await self._reply(send, *_json_error(400, "BadRequest", "invalid Content-Length"))
            if n > self.max_body:
                return await self._reply(send, *_json_error(413, "PayloadTooLarge", f"request body over {self.max_body} bytes"))
        received = 0
        too_big = False

        async def limited_receive():
            nonlocal received, too_big
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_body:
                    too_big = True
                    raise _BodyTooLarge()
            return msg

        started = False

        async def send_with_headers(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                h = list(msg.get("headers", []))
                h += [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", CSP.encode()),
                      (b"referrer-policy", b"no-referrer")]
                msg = {**msg, "headers": h}
            await send(msg)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await self._reply(send, *_json_error(413, "PayloadTooLarge", f"request body over {self.max_body} bytes"))

    @staticmethod
    async def _reply(send, status, headers, body):
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
