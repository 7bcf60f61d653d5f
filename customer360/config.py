"""Settings from environment variables (and CLI flags, which override them), in one place.

Every setting has a default that works on a fresh machine: the graph is an SQLite file under
``./data``; production points ``C360_GRAPH`` at JanusGraph instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from customer360.auth.jwt_tokens import JwtSettings
from customer360.encryption import FieldCipher

DEFAULT_GRAPH = "sqlite:///data/customer360.db"


def sqlite_file(setting: str, text: str) -> Path | None:
    """The file of a ``sqlite:///relative/or/absolute.db`` URL; None for any other scheme."""
    if not text.startswith("sqlite:///"):
        return None
    raw = text[len("sqlite:///"):]
    if not raw:
        raise ValueError(f"{setting}={text!r}: no database file after sqlite:///")
    return Path(raw)


@dataclass(frozen=True, slots=True)
class GraphUrl:
    """``sqlite:///relative/or/absolute.db`` or ``gremlin://host:port/traversal_source``."""

    scheme: str
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8182
    traversal_source: str = "g"

    @classmethod
    def parse(cls, text: str) -> "GraphUrl":
        path = sqlite_file("C360_GRAPH", text)
        if path is not None:
            return cls("sqlite", path=path)
        parts = urlsplit(text)
        if parts.scheme == "gremlin":
            return cls(
                "gremlin",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 8182,
                traversal_source=parts.path.strip("/") or "g",
            )
        raise ValueError(
            f"C360_GRAPH={text!r}: expected sqlite:///path/to/file.db or gremlin://host:port/g"
        )

    def __str__(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        return f"gremlin://{self.host}:{self.port}/{self.traversal_source}"


# ---------------------------------------------------------------- search (issue 12)
# C360_SEARCH names the search index: the embedded SQLite index (default: search.db next to
# the SQLite graph file, or data/search.db) or OpenSearch (opensearch://host:port/alias;
# opensearchs:// for TLS). C360_SEARCH_MIN_DUPLICATE_SCORE is the least match probability
# for Person.possibleDuplicates.

DEFAULT_SEARCH_FILE = "search.db"


@dataclass(frozen=True, slots=True)
class SearchUrl:
    """``sqlite:///path/search.db`` or ``opensearch://host:port/alias``."""

    scheme: str
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 9200
    index: str = "c360-persons"
    tls: bool = False

    @classmethod
    def parse(cls, text: str) -> "SearchUrl":
        path = sqlite_file("C360_SEARCH", text)
        if path is not None:
            return cls("sqlite", path=path)
        parts = urlsplit(text)
        if parts.scheme in ("opensearch", "opensearchs"):
            index = parts.path.strip("/") or "c360-persons"
            if not index.islower() or any(c in index for c in ' "*\\<|,>/?#:'):
                raise ValueError(f"C360_SEARCH={text!r}: {index!r} is not a valid OpenSearch index name")
            return cls("opensearch", host=parts.hostname or "127.0.0.1", port=parts.port or 9200,
                       index=index, tls=parts.scheme == "opensearchs")
        raise ValueError(
            f"C360_SEARCH={text!r}: expected sqlite:///path/to/search.db or opensearch://host:port/index"
        )

    @classmethod
    def beside(cls, graph: "GraphUrl") -> "SearchUrl":
        """The default: ``search.db`` next to the SQLite graph file (``data/`` otherwise)."""
        if graph.scheme == "sqlite" and graph.path is not None:
            return cls("sqlite", path=graph.path.with_name(DEFAULT_SEARCH_FILE))
        return cls("sqlite", path=Path("data") / DEFAULT_SEARCH_FILE)

    def __str__(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        return f"{'opensearchs' if self.tls else 'opensearch'}://{self.host}:{self.port}/{self.index}"


# ---------------------------------------------------------------- end of search settings


def _int(env: Mapping[str, str], name: str, default: int, minimum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={raw!r}: expected a whole number of at least {minimum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a number") from None
    if not value >= minimum:  # also refuses nan
        raise ValueError(f"{name}={raw!r}: expected a number of at least {minimum:g}")
    return value


def _probability(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value > 1.0:
        raise ValueError(f"{name}={env.get(name)!r}: expected a number between 0 and 1")
    return value


# ---------------------------------------------------------------------------------------
# Limits: what one request may cost, so that no request can take the service down.
# docs/security.md says what each one guards against and the error a client gets; the
# defaults keep every README tour query and every GraphiQL example well inside them.


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int = 1000  # C360_MAX_TOKENS: lexical tokens (comments too) per document
    max_aliases: int = 30  # C360_MAX_ALIASES: aliased fields in the operation, fragments expanded
    max_cost: int = 100_000  # C360_MAX_COST: estimated field resolutions (the default role budget)
    max_argument_length: int = 1000  # C360_MAX_ARGUMENT_LENGTH: characters in a string argument
    max_list_argument: int = 100  # C360_MAX_LIST_ARGUMENT: items in a list argument
    max_body_bytes: int = 262_144  # C360_MAX_BODY_BYTES: request body
    max_response_bytes: int = 10_000_000  # C360_MAX_RESPONSE_BYTES: /graphql response body
    request_timeout_s: float = 10.0  # C360_REQUEST_TIMEOUT: seconds per GraphQL operation
    rate_per_second: float = 50.0  # C360_RATE_LIMIT: sustained /graphql requests per principal (0: off)
    rate_burst: int = 100  # C360_RATE_BURST: requests a principal may send at once

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Limits":
        default = cls()
        return cls(
            max_tokens=_int(env, "C360_MAX_TOKENS", default.max_tokens, minimum=1),
            max_aliases=_int(env, "C360_MAX_ALIASES", default.max_aliases, minimum=0),
            max_cost=_int(env, "C360_MAX_COST", default.max_cost, minimum=1),
            max_argument_length=_int(env, "C360_MAX_ARGUMENT_LENGTH", default.max_argument_length, minimum=1),
            max_list_argument=_int(env, "C360_MAX_LIST_ARGUMENT", default.max_list_argument, minimum=1),
            max_body_bytes=_int(env, "C360_MAX_BODY_BYTES", default.max_body_bytes, minimum=1),
            max_response_bytes=_int(env, "C360_MAX_RESPONSE_BYTES", default.max_response_bytes, minimum=1),
            request_timeout_s=_float(env, "C360_REQUEST_TIMEOUT", default.request_timeout_s, minimum=0.001),
            rate_per_second=_float(env, "C360_RATE_LIMIT", default.rate_per_second),
            rate_burst=_int(env, "C360_RATE_BURST", default.rate_burst, minimum=1),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    graph: GraphUrl = field(default_factory=lambda: GraphUrl.parse(DEFAULT_GRAPH))
    host: str = "127.0.0.1"
    port: int = 8000
    max_depth: int = 12
    max_page_size: int = 500
    default_page_size: int = 20
    demo_persons: int = 2000
    rules_file: Path | None = None
    backend_timeout_s: float = 10.0
    gremlin_connections: int = 8  # pooled WebSocket connections; also JanusGraph load chunks in flight
    batching: bool = True  # False only for the benchmarks' naive baseline
    execution: str = "compiled"  # or "general": the compiled path answers the operations it covers
    # search (issue 12): None means "beside the graph" (see search_url)
    search: SearchUrl | None = None
    min_duplicate_score: float = 0.9

    @property
    def search_url(self) -> SearchUrl:
        return self.search if self.search is not None else SearchUrl.beside(self.graph)

    # -- identity, access and personal data at rest (customer360/auth, customer360/encryption.py)
    profile: str = "development"  # or "production": explain, introspection, GraphiQL, GET off; auth required
    auth_required: bool = False  # True: every /graphql request must carry a JWT or an API key
    jwt: JwtSettings | None = None
    api_keys_file: Path | None = None  # default: api-keys.db beside the SQLite file, or in ./data
    policy_file: Path | None = None
    data_key: str | None = field(default=None, repr=False)  # base64 of 32 bytes; never logged
    data_key_file: Path | None = None
    explain_enabled: bool | None = None  # None: on in development, off in production
    introspection_enabled: bool | None = None
    graphiql_enabled: bool | None = None
    get_queries_enabled: bool | None = None
    limits: Limits = field(default_factory=Limits)  # see Limits above

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        rules = env.get("C360_RULES")
        return cls(
            graph=GraphUrl.parse(env.get("C360_GRAPH") or DEFAULT_GRAPH),
            host=env.get("C360_HOST", "127.0.0.1"),
            port=_int(env, "C360_PORT", 8000),
            max_depth=_int(env, "C360_MAX_DEPTH", 12),
            max_page_size=_int(env, "C360_MAX_PAGE_SIZE", 500),
            default_page_size=_int(env, "C360_DEFAULT_PAGE_SIZE", 20),
            demo_persons=_int(env, "C360_DEMO_PERSONS", 2000),
            rules_file=Path(rules) if rules else None,
            backend_timeout_s=float(env.get("C360_BACKEND_TIMEOUT", "10")),
            gremlin_connections=_int(env, "C360_GREMLIN_CONNECTIONS", 8, minimum=1),
            execution=_choice(env, "C360_EXECUTION", ("compiled", "general"), "compiled"),
            **_access_settings(env),
            search=SearchUrl.parse(env["C360_SEARCH"]) if env.get("C360_SEARCH") else None,
            min_duplicate_score=_probability(env, "C360_SEARCH_MIN_DUPLICATE_SCORE", 0.9),
            limits=Limits.from_env(env),
        )

    def with_overrides(self, **changes: object) -> "Settings":
        """Apply CLI flags that were given (``None`` means the flag was not used)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def production(self) -> bool:
        return self.profile == "production"

    @property
    def local_identity(self) -> bool:
        """No authentication configured: requests are the local development identity, and the
        service listens on a loopback address only."""
        return not self.auth_required and self.jwt is None and not self.production

    def feature(self, name: str) -> bool:
        """``explain``, ``introspection``, ``graphiql`` or ``get_queries``: the setting, else the profile's."""
        value = getattr(self, f"{name}_enabled")
        return (not self.production) if value is None else value

    @property
    def data_dir(self) -> Path:
        """Where the service keeps its own files by default: beside the SQLite file, or ./data."""
        return self.graph.path.parent if self.graph.scheme == "sqlite" and self.graph.path else Path("data")

    @property
    def api_keys_path(self) -> Path:
        return self.api_keys_file or self.data_dir / "api-keys.db"

    def data_cipher(self) -> FieldCipher:
        """The key personal data is encrypted with at rest. Without one configured, development
        generates a key file (0600) in :attr:`data_dir`; production refuses to start."""
        if self.data_key:
            return FieldCipher.from_base64(self.data_key)
        return FieldCipher.from_key_file(self.data_key_file or self.data_dir / KEY_FILE_NAME, create=not self.production)


KEY_FILE_NAME = "customer360.key"
PROFILES = ("development", "production")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}={raw!r}: expected on or off")


def _jwt(env: Mapping[str, str]) -> JwtSettings | None:
    jwks, key_file = env.get("C360_JWT_JWKS_URL"), env.get("C360_JWT_KEY_FILE")
    if not jwks and not key_file:
        return None
    issuer, audience = env.get("C360_JWT_ISSUER"), env.get("C360_JWT_AUDIENCE")
    if not issuer or not audience:
        raise ValueError("C360_JWT_ISSUER and C360_JWT_AUDIENCE must be set with C360_JWT_JWKS_URL or C360_JWT_KEY_FILE")
    algorithms = tuple(a.strip() for a in env.get("C360_JWT_ALGORITHMS", "RS256,ES256").split(",") if a.strip())
    return JwtSettings(
        issuer=issuer, audience=audience, algorithms=algorithms, leeway_s=_int(env, "C360_JWT_LEEWAY", 30, minimum=0),
        roles_claim=env.get("C360_JWT_ROLES_CLAIM", "roles"), jwks_url=jwks or None,
        key_file=Path(key_file) if key_file else None,
    )


def _access_settings(env: Mapping[str, str]) -> dict[str, object]:
    profile = (env.get("C360_PROFILE") or "development").strip().lower()
    if profile not in PROFILES:
        raise ValueError(f"C360_PROFILE={profile!r}: expected development or production")
    auth = env.get("C360_AUTH", "").strip().lower()
    if auth not in {"", "local", "required"}:
        raise ValueError(f"C360_AUTH={auth!r}: expected local or required")
    return {
        "profile": profile,
        "auth_required": auth == "required" or profile == "production",
        "jwt": _jwt(env),
        "api_keys_file": Path(env["C360_API_KEYS"]) if env.get("C360_API_KEYS") else None,
        "policy_file": Path(env["C360_POLICY"]) if env.get("C360_POLICY") else None,
        "data_key": env.get("C360_DATA_KEY") or None,
        "data_key_file": Path(env["C360_DATA_KEY_FILE"]) if env.get("C360_DATA_KEY_FILE") else None,
        "explain_enabled": _flag(env, "C360_EXPLAIN"),
        "introspection_enabled": _flag(env, "C360_INTROSPECTION"),
        "graphiql_enabled": _flag(env, "C360_GRAPHIQL"),
        "get_queries_enabled": _flag(env, "C360_GET_QUERIES"),
    }

# ---------------------------------------------------------------------------------------
# Persisted operations (issue 10, item 3): automatic persisted queries and trusted documents.
# Kept apart from ``Settings`` like the audit block: ``OperationSettings.from_env()``.
#
# C360_OPERATIONS         the SQLite file of persisted operations (default: operations.db
#                         beside the SQLite graph file, or data/operations.db); mode 0600.
# C360_TRUSTED_DOCUMENTS  on: only operations registered with `c360 operations register` run
#                         (recommended in production); off (default): any document runs, and
#                         APQ learns new ones. The local development identity (development
#                         profile, no authentication, loopback only) is exempt, so GraphiQL
#                         keeps working on a developer's machine.
# C360_APQ_MAX_BYTES      how much query text APQ may keep (default 4 MiB); past it the least
#                         recently used learnt documents go. Registered ones never count or go.
# ---------------------------------------------------------------------------------------

OPERATIONS_FILE_NAME = "operations.db"


@dataclass(frozen=True, slots=True)
class OperationSettings:
    path: Path | None = None  # None: OPERATIONS_FILE_NAME in Settings.data_dir
    trusted_documents: bool = False
    apq_max_bytes: int = 4 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "OperationSettings":
        env = os.environ if env is None else env
        return cls(
            path=Path(env["C360_OPERATIONS"]) if env.get("C360_OPERATIONS") else None,
            trusted_documents=bool(_flag(env, "C360_TRUSTED_DOCUMENTS")),
            apq_max_bytes=_int(env, "C360_APQ_MAX_BYTES", 4 * 1024 * 1024, minimum=0),
        )

    def store_path(self, settings: Settings) -> Path:
        return self.path or settings.data_dir / OPERATIONS_FILE_NAME

# ---------------------------------------------------------------- end of persisted operations

# ---------------------------------------------------------------------------------------
# Audit record (issue 9): where the record goes, the local spool, and how it is drained.
# Kept apart from ``Settings`` so the audit pieces read only what they need:
# ``AuditSettings.from_env()``.
# ---------------------------------------------------------------------------------------

DEFAULT_AUDIT = "sqlite:///data/audit.db"
DEFAULT_AUDIT_SPOOL = "data/audit-spool.db"
_CQL_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")
_DC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: Cassandra refuses a TTL above 20 years.
MAX_AUDIT_TTL_S = 630_720_000


@dataclass(frozen=True, slots=True)
class AuditUrl:
    """``sqlite:///path/audit.db`` or ``cassandra://host[,host2]:9042/keyspace``."""

    scheme: str
    path: Path | None = None
    hosts: tuple[str, ...] = ("127.0.0.1",)
    port: int = 9042
    keyspace: str = "c360_audit"

    @classmethod
    def parse(cls, text: str) -> "AuditUrl":
        path = sqlite_file("C360_AUDIT", text)
        if path is not None:
            return cls("sqlite", path=path)
        parts = urlsplit(text)
        if parts.scheme == "cassandra":
            hosts_part, _, port_part = parts.netloc.rpartition(":") if ":" in parts.netloc else (parts.netloc, "", "")
            keyspace = parts.path.strip("/") or "c360_audit"
            if not _CQL_NAME.fullmatch(keyspace):
                raise ValueError(
                    f"C360_AUDIT={text!r}: keyspace {keyspace!r} must be lower-case letters, digits and _ (at most 48)"
                )
            hosts = tuple(h for h in hosts_part.split(",") if h) or ("127.0.0.1",)
            try:
                port = int(port_part) if port_part else 9042
            except ValueError:
                raise ValueError(f"C360_AUDIT={text!r}: port {port_part!r} is not a number") from None
            return cls("cassandra", hosts=hosts, port=port, keyspace=keyspace)
        raise ValueError(
            f"C360_AUDIT={text!r}: expected sqlite:///path/to/audit.db or cassandra://host:9042/keyspace"
        )

    def __str__(self) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{self.path}"
        return f"cassandra://{','.join(self.hosts)}:{self.port}/{self.keyspace}"


def parse_replication(text: str) -> dict[str, str | int]:
    """``C360_AUDIT_REPLICATION``: ``3`` (SimpleStrategy, that many copies) or
    ``dc1=3,dc2=3`` (NetworkTopologyStrategy per data centre), as a CQL replication map."""
    text = text.strip()
    if text.isdigit() and int(text) >= 1:
        return {"class": "SimpleStrategy", "replication_factor": int(text)}
    replication: dict[str, str | int] = {"class": "NetworkTopologyStrategy"}
    for part in text.split(","):
        dc, _, factor = part.strip().partition("=")
        if not _DC_NAME.fullmatch(dc) or not factor.isdigit() or int(factor) < 1:
            raise ValueError(
                f"C360_AUDIT_REPLICATION={text!r}: expected a number of copies (e.g. 3) or dc=copies,... (e.g. dc1=3,dc2=3)"
            )
        replication[dc] = int(factor)
    return replication


@dataclass(frozen=True, slots=True)
class AuditSettings:
    url: AuditUrl = field(default_factory=lambda: AuditUrl.parse(DEFAULT_AUDIT))
    spool_path: Path = Path(DEFAULT_AUDIT_SPOOL)
    replication: dict[str, str | int] = field(default_factory=lambda: parse_replication("1"))
    ttl_s: int = 0  # 0: events never expire
    local_dc: str | None = None  # Cassandra data centre to write to (default: the contact point's)
    timeout_s: float = 10.0  # per sink call
    drain_batch: int = 20000  # events per sink write (whole records)
    drain_linger_s: float = 0.05  # wait after new events arrive, so one sink write carries many responses
    backoff_initial_s: float = 0.5  # first wait after a failed drain; doubles up to backoff_max_s
    backoff_max_s: float = 30.0
    checkpoint_every: int = 1000  # events per checkpoint at most ...
    checkpoint_interval_s: float = 60.0  # ... and at least one per interval while events arrive
    principal: str | None = None  # who `c360 load` is recorded as (default: the OS user)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "AuditSettings":
        env = os.environ if env is None else env
        ttl = _int(env, "C360_AUDIT_TTL", 0, minimum=0)
        if ttl > MAX_AUDIT_TTL_S:
            raise ValueError(f"C360_AUDIT_TTL={ttl}: at most {MAX_AUDIT_TTL_S} seconds (20 years)")
        initial = _float(env, "C360_AUDIT_BACKOFF_INITIAL", 0.5, minimum=0.01)
        return cls(
            url=AuditUrl.parse(env.get("C360_AUDIT") or DEFAULT_AUDIT),
            spool_path=Path(env.get("C360_AUDIT_SPOOL") or DEFAULT_AUDIT_SPOOL),
            replication=parse_replication(env.get("C360_AUDIT_REPLICATION") or "1"),
            ttl_s=ttl,
            local_dc=env.get("C360_AUDIT_LOCAL_DC") or None,
            timeout_s=_float(env, "C360_AUDIT_TIMEOUT", 10.0, minimum=0.1),
            drain_batch=_int(env, "C360_AUDIT_DRAIN_BATCH", 20000, minimum=1),
            drain_linger_s=_float(env, "C360_AUDIT_DRAIN_LINGER", 0.05, minimum=0.0),
            backoff_initial_s=initial,
            backoff_max_s=_float(env, "C360_AUDIT_BACKOFF_MAX", 30.0, minimum=initial),
            checkpoint_every=_int(env, "C360_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1),
            checkpoint_interval_s=_float(env, "C360_AUDIT_CHECKPOINT_INTERVAL", 60.0, minimum=0.1),
            principal=env.get("C360_AUDIT_PRINCIPAL") or None,
        )

    def with_overrides(self, **changes: object) -> "AuditSettings":
        """Apply CLI flags that were given (``None`` means the flag was not used)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
