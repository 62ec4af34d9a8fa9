"""A local, offline identity provider, so clients that log in before they call ARM can reach our servers.

The Azure CLI, azure-identity's credentials and Terraform get a token from Microsoft Entra ID
before their first ARM call. Pointed here instead (an authority of `<server>/identity`), they find
what Entra ID would give them, on the same port as the emulator or replay server:

- the OpenID discovery documents MSAL reads first (`/{tenant}/v2.0/.well-known/openid-configuration`,
  and the v1 one without `/v2.0`) and an empty key set at their `jwks_uri`;
- the v2 token endpoint for the client-credentials grant (`/{tenant}/oauth2/v2.0/token`, what
  `az login --service-principal` and ClientSecretCredential send) and the v1 one (`/{tenant}/oauth2/token`);
- App Service-style managed identity (`IDENTITY_ENDPOINT=<server>/identity/msi/token` with any
  `IDENTITY_HEADER`), and an IMDS-style one (`AZURE_POD_IDENTITY_AUTHORITY_HOST=<server>/identity`);
- ARM's cloud metadata (`/metadata/endpoints`, outside the prefix, as ARM serves it), pointing every
  endpoint a client needs at this server.

Tokens are clearly fake: JWT-shaped, `alg: none`, no signature, with claims saying so. Nothing here
verifies a secret or talks to the internet. Error answers use OAuth 2.0's error codes (RFC 6749
section 5.2), the shape Entra ID uses and MSAL reads.
"""
from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from contract.servers import JSON_CONTENT_TYPE

IDENTITY_PREFIX = "/identity"
METADATA_PATH = "/metadata/endpoints"
# The audience ARM tokens carry; what `az cloud register` reads from `authentication.audiences[0]`
# and azure-cli then asks tokens for (`<audience>/.default`).
ARM_AUDIENCE = "https://management.core.windows.net/"
TOKEN_LIFETIME = 3599  # seconds, as Entra ID answers (`expires_in: 3599`)
FAKE_NOTE = "vmss-contract local identity provider: unsigned fake token, valid nowhere else"
_NAMESPACE = uuid.UUID("5f1f6f43-8a53-4d0e-9f39-0d8a3b7a1c11")  # object ids derive from client ids

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --------------------------------------------------------------------------- tokens

def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def object_id(client_id: str) -> str:
    """A stable fake object id for a client id (the same caller is the same principal every time)."""
    return str(uuid.uuid5(_NAMESPACE, client_id.lower()))


def fake_token(audience: str, *, tenant: str, client_id: str, issuer: str, version: str = "1.0",
               lifetime: int = TOKEN_LIFETIME, now: int | None = None) -> str:
    """An unsigned JWT (`alg: none`, empty signature) with the claims ARM tokens carry."""
    issued = int(time.time()) if now is None else now
    oid = object_id(client_id)
    claims = {
        "aud": audience, "iss": issuer, "iat": issued, "nbf": issued, "exp": issued + lifetime,
        "tid": tenant, "oid": oid, "sub": oid, "appid": client_id, "azp": client_id,
        "idtyp": "app", "ver": version, "vmss_contract": FAKE_NOTE,
    }
    return f"{_b64({'typ': 'JWT', 'alg': 'none', 'kid': 'vmss-contract-fake'})}.{_b64(claims)}."


def read_token(token: str) -> dict[str, Any]:
    """The claims of a token (ours or any JWT), unverified; ValueError when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JWT: {exc}") from None
    if not isinstance(claims, dict):
        raise ValueError("not a JWT: the payload is not a JSON object")
    return claims


def audience_of_scopes(scope: str) -> str | None:
    """The resource a v2 `scope` asks for: `https://management.azure.com/.default` -> `https://management.azure.com/`.

    OpenID scopes (`openid`, `profile`, `offline_access`) name no resource and are skipped.
    """
    for item in scope.split():
        if item in ("openid", "profile", "offline_access", "email"):
            continue
        if item.endswith("/.default"):
            return item[: -len(".default")]
        return item.rsplit("/", 1)[0] + "/" if "/" in item else item
    return None


# --------------------------------------------------------------------------- documents

def openid_configuration(base: str, tenant: str, *, v2: bool = True) -> dict[str, Any]:
    """The tenant's discovery document; MSAL needs `authorization_endpoint` and `token_endpoint`."""
    root = f"{base}/{tenant}"
    version = "/v2.0" if v2 else ""
    return {
        "issuer": f"{root}/v2.0" if v2 else f"{root}/",
        "authorization_endpoint": f"{root}/oauth2{version}/authorize",
        "token_endpoint": f"{root}/oauth2{version}/token",
        "device_authorization_endpoint": f"{root}/oauth2{version}/devicecode",
        "end_session_endpoint": f"{root}/oauth2{version}/logout",
        "jwks_uri": f"{root}/discovery{version}/keys",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": "local",
        "cloud_instance_name": "vmss-contract.local",
    }


def cloud_metadata(origin: str, *, identity_prefix: str = IDENTITY_PREFIX, name: str = "VmssContract") -> dict[str, Any]:
    """ARM's `/metadata/endpoints` answer for a cloud whose ARM and login both live at `origin`.

    The members are the ones azure-cli's `_arm_to_cli_mapper` (azure/cli/core/cloud.py) reads when
    `az cloud register --endpoint-resource-manager` discovers a cloud: `name`, `resourceManager`,
    `authentication.loginEndpoint` and `.audiences` (the first audience is the token resource);
    the other endpoints point here too, so a client following any of them stays on loopback.
    `vmImageAliasDoc` is left out: nothing here serves it, and az then uses its own copy of the aliases.
    """
    here = origin.rstrip("/")
    return {
        "name": name,
        "resourceManager": f"{here}/",
        "portal": f"{here}/",
        "gallery": f"{here}/",
        "graph": f"{here}/",
        "graphAudience": f"{here}/",
        "batch": f"{here}/",
        "media": f"{here}/",
        "sqlManagement": f"{here}/",
        "activeDirectoryDataLake": f"{here}/",
        "microsoftGraphResourceId": f"{here}/",
        "authentication": {
            "loginEndpoint": f"{here}{identity_prefix}",
            "audiences": [ARM_AUDIENCE, "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {},
    }


# --------------------------------------------------------------------------- answers

def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(),
                        headers={"Content-Type": JSON_CONTENT_TYPE, "Cache-Control": "no-store"})


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """An OAuth 2.0 error answer (RFC 6749 section 5.2) with the ids Entra ID adds."""
    request_id = str(uuid.uuid4())
    return _json(status, {"error": error, "error_description": f"vmss-contract identity: {description}",
                          "error_codes": [], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                          "trace_id": request_id, "correlation_id": request_id})


@dataclass(frozen=True)
class Client:
    """Who asks: the client id from the form or from HTTP Basic authentication."""

    client_id: str
    has_secret: bool


def _client(request: web.Request, form: dict[str, str]) -> Client:
    client_id = form.get("client_id", "")
    has_secret = bool(form.get("client_secret") or form.get("client_assertion"))
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:  # client_secret_basic (RFC 6749 section 2.3.1)
        try:
            user, _, secret = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, secret = "", ""
        client_id = client_id or user
        has_secret = has_secret or bool(secret)
    return Client(client_id, has_secret)


class IdentityProvider:
    """Answers the identity paths below `prefix`; every URL it hands out is built from the request's origin."""

    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", "discovery_v2"),
        ("GET", r"/(?P<tenant>[^/]+)/\.well-known/openid-configuration", "discovery_v1"),
        ("GET", r"/(?P<tenant>[^/]+)/discovery(?:/v2\.0)?/keys", "keys"),
        ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", "token_v2"),
        ("POST", r"/(?P<tenant>[^/]+)/oauth2/token", "token_v1"),
        ("GET", r"/msi/token", "app_service"),
        ("GET", r"/metadata/identity/oauth2/token", "imds"),
    )

    def __init__(self, prefix: str = IDENTITY_PREFIX) -> None:
        self.prefix = "/" + prefix.strip("/")
        self._routes = [(method, re.compile(f"^{pattern}/?$", re.IGNORECASE), name)
                        for method, pattern, name in self._ROUTES]

    def owns(self, path: str) -> bool:
        lowered = path.lower()
        return lowered == self.prefix or lowered.startswith(self.prefix + "/") or \
            lowered.rstrip("/") == METADATA_PATH

    async def answer(self, request: web.Request) -> web.Response:
        path = request.path
        if path.lower().rstrip("/") == METADATA_PATH:
            if request.method not in ("GET", "HEAD"):
                return oauth_error(405, "invalid_request", f"{request.method} is not supported on {METADATA_PATH}.")
            return _json(200, cloud_metadata(self.origin(request), identity_prefix=self.prefix))
        inner = path[len(self.prefix):] or "/"
        for method, pattern, name in self._routes:
            match = pattern.match(inner)
            if match is None:
                continue
            if request.method != method:
                return oauth_error(405, "invalid_request", f"{request.method} is not supported on {path}.")
            handler: Callable[..., Awaitable[web.Response]] = getattr(self, f"_{name}")
            return await handler(request, **match.groupdict())
        return oauth_error(404, "invalid_request", f"no identity endpoint at {path}.")

    def origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def base(self, request: web.Request) -> str:
        return self.origin(request) + self.prefix

    # ---- discovery

    async def _discovery_v2(self, request: web.Request, tenant: str) -> web.Response:
        return _json(200, openid_configuration(self.base(request), tenant, v2=True))

    async def _discovery_v1(self, request: web.Request, tenant: str) -> web.Response:
        return _json(200, openid_configuration(self.base(request), tenant, v2=False))

    async def _keys(self, request: web.Request, tenant: str) -> web.Response:
        return _json(200, {"keys": []})  # nothing is signed

    # ---- token endpoints

    async def _form(self, request: web.Request) -> dict[str, str] | web.Response:
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return oauth_error(400, "invalid_request",
                               "the token request must be a form (application/x-www-form-urlencoded).")
        data = await request.post()
        return {k: str(v) for k, v in data.items()}

    async def _token(self, request: web.Request, tenant: str, v2: bool) -> web.Response:
        form = await self._form(request)
        if isinstance(form, web.Response):
            return form
        grant = form.get("grant_type")
        if not grant:
            return oauth_error(400, "invalid_request", "the request must contain the parameter 'grant_type'.")
        if grant != "client_credentials":
            return oauth_error(400, "unsupported_grant_type",
                               f"grant_type '{grant}' is not served here; only client_credentials "
                               "(a service principal) is.")
        client = _client(request, form)
        if not client.client_id:
            return oauth_error(400, "invalid_request", "the request must contain the parameter 'client_id'.")
        if not client.has_secret:
            return oauth_error(401, "invalid_client", "the request must contain 'client_secret' or "
                                                      "'client_assertion' (any value is accepted here).")
        audience = audience_of_scopes(form.get("scope", "")) if v2 else form.get("resource")
        if not audience:
            wanted = "'scope' (for example https://management.azure.com/.default)" if v2 else "'resource'"
            return oauth_error(400, "invalid_request" if not v2 or not form.get("scope") else "invalid_scope",
                               f"the request must contain the parameter {wanted}.")
        issuer = f"{self.base(request)}/{tenant}/v2.0" if v2 else f"{self.base(request)}/{tenant}/"
        token = fake_token(audience, tenant=tenant, client_id=client.client_id, issuer=issuer,
                           version="2.0" if v2 else "1.0")
        if v2:
            return _json(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                               "ext_expires_in": TOKEN_LIFETIME, "access_token": token})
        now = int(time.time())
        return _json(200, {"token_type": "Bearer", "expires_in": str(TOKEN_LIFETIME),
                           "ext_expires_in": str(TOKEN_LIFETIME), "expires_on": str(now + TOKEN_LIFETIME),
                           "not_before": str(now), "resource": audience, "access_token": token})

    async def _token_v2(self, request: web.Request, tenant: str) -> web.Response:
        return await self._token(request, tenant, v2=True)

    async def _token_v1(self, request: web.Request, tenant: str) -> web.Response:
        return await self._token(request, tenant, v2=False)

    # ---- managed identity

    def _managed(self, request: web.Request) -> dict[str, Any] | web.Response:
        resource = request.query.get("resource")
        if not resource:
            return _json(400, {"statusCode": 400, "message": "The 'resource' query parameter is required."})
        client_id = request.query.get("client_id") or request.query.get("object_id") or \
            request.query.get("mi_res_id") or request.query.get("msi_res_id") or "system-assigned"
        now = int(time.time())
        token = fake_token(resource, tenant="00000000-0000-0000-0000-000000000000", client_id=client_id,
                           issuer=f"{self.base(request)}/managed-identity/", now=now)
        return {"access_token": token, "expires_on": str(now + TOKEN_LIFETIME), "resource": resource,
                "token_type": "Bearer", "client_id": client_id, "not_before": str(now),
                "expires_in": str(TOKEN_LIFETIME)}

    async def _app_service(self, request: web.Request) -> web.Response:
        """App Service's managed identity endpoint (api-version 2019-08-01): the secret header is required."""
        if not request.headers.get("X-IDENTITY-HEADER"):
            return _json(401, {"statusCode": 401, "message": "The X-IDENTITY-HEADER header (IDENTITY_HEADER) "
                                                             "is required."})
        if not request.query.get("api-version"):
            return _json(400, {"statusCode": 400, "message": "The 'api-version' query parameter is required."})
        answer = self._managed(request)
        return answer if isinstance(answer, web.Response) else _json(200, answer)

    async def _imds(self, request: web.Request) -> web.Response:
        """The VM metadata service's token endpoint: it answers only requests carrying `Metadata: true`."""
        if request.headers.get("Metadata", "").lower() != "true":
            return _json(400, {"error": "invalid_request", "error_description": "Required metadata header not "
                                                                               "specified"})
        answer = self._managed(request)
        return answer if isinstance(answer, web.Response) else _json(200, answer)


def identity_middleware(provider: IdentityProvider | None = None) -> Any:
    """A middleware answering the identity paths (and `/metadata/endpoints`) before any ARM guard sees them."""
    idp = provider or IdentityProvider()

    @web.middleware
    async def identity(request: web.Request, handler: Handler) -> web.StreamResponse:
        if idp.owns(request.path):
            return await idp.answer(request)
        return await handler(request)

    return identity


def mount_identity(app: web.Application, prefix: str = IDENTITY_PREFIX) -> web.Application:
    """Serve the identity provider on `app`'s port, ahead of its own middlewares (call before it starts)."""
    app.middlewares.insert(0, identity_middleware(IdentityProvider(prefix)))
    return app
