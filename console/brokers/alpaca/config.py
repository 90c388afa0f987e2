"""Alpaca endpoints, credentials (environment or OS keyring) and adapter tunables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from console.domain.errors import InputError
from console.engine.ports import AuthenticationError

KEYRING_SERVICE = "phase-console"
KEY_ID_VAR = "APCA_API_KEY_ID"
SECRET_VAR = "APCA_API_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
BASE_URL_VAR = "APCA_API_BASE_URL"
DATA_URL_VAR = "APCA_API_DATA_URL"
DATA_FEED_VAR = "APCA_DATA_FEED"
DATA_FEEDS = ("iex", "sip", "delayed_sip")  # latest-quote feeds; iex is the free plan's
DEFAULT_DATA_FEED = "iex"

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
_LIVE_HOST = "api.alpaca.markets"


@dataclass(frozen=True)
class AlpacaOptions:
    """Transport tunables (tests shrink them); rate limiting and retries are the engine's."""

    request_timeout_s: float = 10.0  # enforced by the requests session on every call
    rate_limit_per_minute: int = 200  # Alpaca's documented limit (the engine paces to it)
    data_feed: str | None = None  # iex or sip; None: APCA_DATA_FEED, else iex
    asset_cache_dir: str | None = None  # None: the user cache dir (platformdirs)
    # True: asset facts also kept on disk for the UTC day (one request fewer per process, but
    # flags up to a day old); by default each process lists them, and keeps them 10 minutes.
    asset_cache_persist: bool = False
    stream_reconnect_min_s: float = 1.0  # the stream reconnects with backoff (transport)
    stream_reconnect_max_s: float = 30.0
    stream_connect_wait_s: float = 5.0  # the first submit waits this long for the stream
    stream_ping_interval_s: float = 10.0
    stream_ping_timeout_s: float = 20.0


@dataclass(frozen=True)
class AlpacaConfig:
    """Resolved endpoints and credentials; the secret never appears in repr."""

    key_id: str = field(repr=False)
    secret_key: str = field(repr=False)
    base_url: str = PAPER_URL
    data_url: str = DATA_URL
    live: bool = False
    options: AlpacaOptions = field(default_factory=AlpacaOptions)
    data_feed: str = DEFAULT_DATA_FEED

    @property
    def stream_url(self) -> str:
        """The trade_updates websocket: `<base>/stream` with ws/wss."""
        return stream_url_for(self.base_url)

    @property
    def mode(self) -> str:
        """PAPER or LIVE."""
        return "LIVE" if self.live else "PAPER"


def stream_url_for(base_url: str) -> str:
    """Derive the trading stream URL from the trading base URL."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/stream"


def normalize_base_url(value: str, var: str) -> str:
    """Validate an endpoint override; drop a trailing `/` and `/v2` (the SDK appends /v2)."""
    text = value.strip().rstrip("/")
    if text.endswith("/v2"):
        text = text[: -len("/v2")].rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError.single(var, "", "must be an http:// or https:// URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError.single(var, "", "must be a plain base URL (no query or credentials)")
    return text


KeyringGetter = Callable[[str, str], str | None]


def _keyring_get(service: str, username: str) -> str | None:
    """Read one value from the OS keyring (raises when no backend is usable)."""
    import keyring

    value = keyring.get_password(service, username)
    return value if isinstance(value, str) else None


def resolve_credentials(
    env: Mapping[str, str], keyring_get: KeyringGetter | None = _keyring_get
) -> tuple[str, str]:
    """(key id, secret) from the environment, else the OS keyring; AuthenticationError if absent."""
    key_id = env.get(KEY_ID_VAR, "").strip()
    secret = env.get(SECRET_VAR, "").strip()
    if key_id and secret:
        return key_id, secret
    problem = ""
    if keyring_get is not None:
        try:
            key_id = key_id or (keyring_get(KEYRING_SERVICE, KEY_ID_VAR) or "").strip()
            secret = secret or (keyring_get(KEYRING_SERVICE, SECRET_VAR) or "").strip()
        except Exception as exc:  # keyring backends raise many types; none carries a secret
            problem = f" (OS keyring unavailable: {type(exc).__name__})"
    if key_id and secret:
        return key_id, secret
    missing = [name for name, val in ((KEY_ID_VAR, key_id), (SECRET_VAR, secret)) if not val]
    raise AuthenticationError(
        "Alpaca credentials missing: "
        + ", ".join(missing)
        + f". Set them in the environment or store them in the OS keyring (service "
        f"'{KEYRING_SERVICE}', usernames '{KEY_ID_VAR}' and '{SECRET_VAR}')" + problem + "."
    )


def load_config(
    *,
    live: bool = False,
    env: Mapping[str, str] | None = None,
    options: AlpacaOptions | None = None,
    keyring_get: KeyringGetter | None = _keyring_get,
) -> AlpacaConfig:
    """Resolve endpoints and credentials; paper unless `live`, and live only on purpose."""
    source = os.environ if env is None else env
    base_raw = source.get(BASE_URL_VAR, "").strip()
    data_raw = source.get(DATA_URL_VAR, "").strip()
    base = normalize_base_url(base_raw, BASE_URL_VAR) if base_raw else None
    data = normalize_base_url(data_raw, DATA_URL_VAR) if data_raw else DATA_URL
    if base is None:
        base = LIVE_URL if live else PAPER_URL
    elif not live and urlsplit(base).hostname == _LIVE_HOST:
        raise InputError.single(
            BASE_URL_VAR, "", "points at the LIVE Alpaca endpoint; live trading needs --live"
        )
    options = options or AlpacaOptions()
    feed = resolve_feed(options.data_feed, source.get(DATA_FEED_VAR, ""))
    key_id, secret = resolve_credentials(source, keyring_get)
    return AlpacaConfig(
        key_id=key_id,
        secret_key=secret,
        base_url=base,
        data_url=data,
        live=live,
        options=options,
        data_feed=feed,
    )


def resolve_feed(option: str | None, env_value: str) -> str:
    """The market-data feed: the adapter option, else APCA_DATA_FEED, else iex."""
    source, raw = ("data_feed option", option) if option else (DATA_FEED_VAR, env_value)
    feed = (raw or DEFAULT_DATA_FEED).strip().lower()
    if feed not in DATA_FEEDS:
        raise InputError.single(source, "", f"must be one of {', '.join(DATA_FEEDS)}, got {raw!r}")
    return feed
