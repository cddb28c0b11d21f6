"""Settings: read once, here, and passed down as arguments.

Sources, highest priority first: explicit keyword arguments (tests), ``AVGDESK_*``
environment variables, the TOML file given with ``--config``, the defaults below.
Every timeout and limit is a named setting whose name carries its unit.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from avgdesk.models.errors import ConfigurationError


class Security(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


class ServerAction(StrEnum):
    """What happens to the server copy once a message is committed locally."""

    MOVE = "move"
    SEEN = "seen"


class AuthMethod(StrEnum):
    PASSWORD = "password"
    OAUTH2 = "oauth2"


class OAuthProvider(StrEnum):
    MICROSOFT = "microsoft"
    GOOGLE = "google"


class OutboxTransport(StrEnum):
    SMTP = "smtp"
    GRAPH = "graph"


class Weekday(StrEnum):
    """A day of the week as configured (MON … SUN); ``number`` is Python's (Monday = 0)."""

    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"

    @property
    def number(self) -> int:
        return list(Weekday).index(self)


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "avgdesk"


def _default_model_shared_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "avgdesk" / "model"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AVGDESK_",
        extra="forbid",
        validate_default=True,
        # No use_attribute_docstrings: pydantic would read and tokenise this file at every
        # start (half the class's build time, paid by each CLI command); the docstrings are
        # read by field_docs() only where they are shown (the README table).
    )

    _toml_file: ClassVar[Path | None] = None

    # --- storage -------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir)
    """Folder for the SQLite database and the trained model (default ~/.local/share/avgdesk)."""
    model_shared_dir: Path | None = Field(default_factory=_default_model_shared_dir)
    """Where the model without staff corrections is cached for every data folder of this user
    (it depends only on the corpus and the code); empty: each data folder trains its own."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/avgdesk.sqlite3``."""
    sqlite_busy_timeout_s: float = 30.0
    """How long a SQLite writer waits for another one before giving up."""
    timezone: str = "Europe/Amsterdam"
    """Time zone for deadlines and schedules."""
    log_level: str = "INFO"
    """DEBUG, INFO, WARNING or ERROR. Logs never contain message bodies."""

    # --- IMAP ------------------------------------------------------------------
    imap_host: str | None = None
    """IMAP server; without it the worker only processes stored (contact-form) messages."""
    imap_port: int | None = None
    """Default: 993 for ssl, 143 otherwise."""
    imap_username: str | None = None
    """IMAP login name."""
    imap_password: SecretStr | None = None
    """IMAP password (never logged)."""
    imap_security: Security = Security.SSL
    """ssl (implicit TLS), starttls or none (loopback tests only)."""
    imap_folder: str = "INBOX"
    """The folder avgdesk reads."""
    imap_processed_folder: str = "avgdesk-processed"
    """Where processed mail is moved; a flat name, since the hierarchy separator differs per server."""
    imap_server_action: ServerAction = ServerAction.MOVE
    """After the local commit: move (to the processed folder) or seen (flag \\Seen, keep in place)."""
    imap_connect_timeout_s: float = 15.0
    """Socket timeout for connecting."""
    imap_read_timeout_s: float = 60.0
    """Socket timeout for every read; a dead server never hangs the worker."""
    imap_idle_check_s: float = 15.0
    """Longest blocking wait inside IDLE; bounds how quickly shutdown is honoured."""
    imap_idle_renew_s: float = 300.0
    """IDLE is ended and re-issued after this long (RFC 2177 allows 29 min; servers cut earlier)."""
    imap_poll_interval_s: float = 60.0
    """Polling interval when the server has no IDLE."""
    imap_backoff_initial_s: float = 1.0
    """First reconnect delay; doubles per failure, with jitter."""
    imap_backoff_max_s: float = 60.0
    """Longest reconnect delay (the first retry comes after about ``imap_backoff_initial_s``)."""
    imap_auth_backoff_s: float = 900.0
    """Wait after a refused login before trying again."""
    imap_fetch_batch_messages: int = 200
    """Messages per fetch-and-commit batch."""
    imap_fetch_batch_bytes: int = 20_000_000
    """Bytes per fetch-and-commit batch."""
    imap_uid_batch: int = 1000
    """UIDs per command: servers refuse very long UID lists."""
    imap_max_message_bytes: int = 25_000_000
    """Larger messages are stored as a header-only record with the reason."""
    ingest_run_max_messages: int = 5000
    """Upper bound for one ingest pass; the next pass continues."""

    # --- deadlines -------------------------------------------------------------------
    policy_days: int = 30
    """NHMB's privacy policy promises an answer within 30 days: the internal target."""
    at_risk_working_days: int = 5
    """A case due within this many working days is flagged at risk."""
    pause_request_max_working_days: int = 5
    """A pause counts only when the identity/clarification request went out this fast."""
    complaint_target_months: int = 1
    """Internal target for complaints (no statutory clock)."""

    # --- processing ------------------------------------------------------------
    processing_max_attempts: int = 5
    """Processing attempts (failed or interrupted by a crash) before a message is quarantined."""
    processing_batch: int = 100
    """Messages classified and committed together."""
    processing_message_timeout_s: float = 30.0
    """Longest parse (or batch classification) of one message in the processing child; on
    timeout the child is killed and the message quarantined at once with the reason."""
    processing_isolation: bool = True
    """Parse and classify in a child process that is killed after the per-message limit;
    false: in the worker's own thread (no time limit; for platforms without fork)."""
    processing_child_recycle_messages: int = Field(default=5000, ge=1)
    """Messages one processing child analyses before a fresh child replaces it (bounds slow
    memory growth in the parser or the model; the model is loaded once and shared)."""
    processing_claim_s: float = 120.0
    """A processing claim older than this belongs to a dead worker; another worker retakes it."""
    parse_max_parts: int = 500
    """MIME parts read per message; the rest is noted as a defect."""
    parse_max_depth: int = 20
    """MIME nesting depth read per message."""
    parse_max_text_chars: int = 500_000
    """Characters of body text kept for classification and display."""
    parse_max_html_bytes: int = 2_000_000
    """Bytes of the HTML part read for text conversion."""
    bounce_max_bytes: int = 1_000_000
    """Largest bounce whose delivery report is read before it joins a case (larger: only suggested)."""
    bounce_window_days: int = Field(default=7, ge=1, le=60)
    """Days after a letter was sent in which a failure report on it makes it unsent (and an
    answer it carried owed again); a later report only joins the case."""
    form_senders: list[str] = Field(default_factory=lambda: ["website@nhmbsoftware.nl"])
    """From addresses of the website's contact form; the requester is read from the body."""
    own_domains: list[str] = Field(default_factory=lambda: ["nhmbsoftware.nl"])
    """Message-IDs in these domains are ours: mail carrying them is never auto-answered."""
    loop_header_value: str = "avgdesk"
    """Value of our X-Loop header; mail carrying it is ours and never answered."""

    # --- workers -----------------------------------------------------------------
    worker_id: str | None = None
    """Identifies this process in leases; default host:pid."""
    poller_lease_s: float = 45.0
    """A poller that stops renewing its lease is replaced after this long."""
    poller_renew_s: float = 10.0
    """How often the poller renews its lease (and records ``last_poll_at`` while idling)."""
    worker_error_backoff_max_s: float = 60.0
    """Longest wait before a loop retries after a database error (doubles from 1 s)."""
    health_poll_stale_s: float = 300.0
    """``status`` reports the intake as stalled when ``last_poll_at`` is older than this."""
    health_heartbeat_stale_s: float = 120.0
    """``status`` reports the worker as not running when its heartbeat is older than this."""
    health_once_stale_s: float = Field(default=3600.0, gt=0)
    """How long after a successful one-shot run (``avgdesk run --once``, e.g. from cron) the
    worker still counts as healthy; also how old the last mailbox poll may then be."""

    # --- SMTP --------------------------------------------------------------------
    smtp_host: str | None = None
    """SMTP server for approved replies."""
    smtp_port: int | None = None
    """Default: 465 for ssl, 587 for starttls, 25 otherwise."""
    smtp_username: str | None = None
    """SMTP login name."""
    smtp_password: SecretStr | None = None
    """SMTP password (never logged)."""
    smtp_security: Security = Security.STARTTLS
    """ssl, starttls or none."""
    smtp_timeout_s: float = 60.0
    """Timeout for each SMTP exchange."""

    smtp_copy_to_sent: bool = True
    """Append a copy of each sent reply to the IMAP Sent folder (when a mailbox is configured)."""
    imap_sent_folder: str = "Sent"
    """The IMAP folder that receives copies of sent replies."""
    outbox_poll_interval_s: float = 15.0
    """How often the worker looks for approved mail that is due."""
    outbox_lease_s: float = 300.0
    """A worker that does not finish a send within this long is presumed dead; another resends."""
    outbox_retry_initial_s: float = 60.0
    """First retry delay after a temporary SMTP failure (doubles, with jitter)."""
    outbox_retry_max_s: float = 3600.0
    """Longest retry delay."""
    outbox_deliver_for_s: float = 259_200.0
    """Give up on a temporarily failing mail after this long (3 days) and show it to staff."""
    outbox_ambiguous_retries: int = 1
    """Further tries after a timeout after DATA, when the server may already have the mail."""

    # --- replies -------------------------------------------------------------------------
    controller_profile: Path | None = None
    """TOML file with the organisation's details for the letters; default: the packaged NHMB profile."""
    four_eyes: bool = False
    """When true, the approver of a reply must not be its author."""

    # --- systems register, access package, attachments (issue 17) ------------------------
    sql_connector_max_rows: int = Field(default=10_000, ge=1)
    """Rows read per named query of an sql system; more marks the result incomplete (staff look
    themselves)."""
    sql_connector_timeout_s: float = Field(default=30.0, gt=0)
    """Longest run of one sql system's queries (statement_timeout on PostgreSQL, an interrupt on SQLite)."""
    sql_erasure_timeout_s: float = Field(default=60.0, gt=0)
    """Longest erasure run in one sql system, all its statements together; past it the whole run is
    rolled back (nothing erased) and the task stays open with the error."""
    attachment_max_bytes: int = Field(default=15_000_000, ge=1)
    """Largest file staff may attach to a draft, and the largest access package."""
    attachment_total_max_bytes: int = Field(default=20_000_000, ge=1)
    """All attachments of one reply together (most mail servers refuse messages above 20-25 MB)."""
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "application/zip",
            "text/csv",
            "application/json",
            "text/plain",
            "image/png",
            "image/jpeg",
        ]
    )
    """Content types staff may attach to a draft (judged by the file's first bytes, not its name)."""
    mail_attachment_limit_bytes: int = Field(default=10_000_000, ge=1)
    """Attachments of one reply together above this go out as download links on avgdesk's own site
    (web_base_url) instead of in the mail."""
    download_link_days: int = Field(default=14, ge=1)
    """Days a download link works after the reply is approved."""
    download_link_max_downloads: int = Field(default=5, ge=1)
    """Downloads one link allows; after that it is dead."""

    # --- weekly summary and reminders ------------------------------------------------
    summary_recipients: list[str] = Field(default_factory=list)
    """Who receives the Monday backlog summary (empty: no summary is sent)."""
    summary_weekday: Weekday = Weekday.MON
    """Day of the summary: MON … SUN."""
    summary_time: dt.time = dt.time(8, 0)
    """Local time (AVGDESK_TIMEZONE) of the summary, HH:MM."""
    summary_late_after_min: int = Field(default=60, ge=0)
    """A summary sent this long after its slot (the worker was down) is marked late."""
    summary_list_rows: int = Field(default=25, ge=1)
    """Cases (rows) shown per list of the weekly summary and the daily reminder; the rest is a total
    and a link to the queue."""
    reminder_time: dt.time | None = dt.time(8, 30)
    """Local time of the daily reminders on working days, HH:MM; empty: no reminders."""
    reminder_recipients: list[str] = Field(default_factory=list)
    """Team addresses for reminders of cases without an assignee address (default: summary recipients)."""
    staff_emails: dict[str, str] = Field(default_factory=dict)
    """Assignee name → e-mail address, for personal reminders."""
    scheduler_interval_s: float = Field(default=60.0, gt=0)
    """How often the scheduler checks whether a job is due."""
    web_base_url: str = "http://localhost:8000"
    """Base URL of the web UI, for links in the summary and reminders."""
    internal_mail_from: str = "avgdesk@nhmbsoftware.nl"
    """Sender address of internal mail (summary, reminders)."""
    breach_alert_recipients: list[str] = Field(default_factory=list)
    """Privacy team alerted at once about a possible data breach (Art. 33); default: summary recipients."""

    # --- web UI ----------------------------------------------------------------------------
    web_session_idle_minutes: int = 30
    """A staff session not used for this long ends."""
    web_session_absolute_minutes: int = 720
    """A staff session ends this long after login, however active."""
    web_secure_cookies: bool = False
    """Secure cookies with the __Host- prefix (and HSTS): turn on when served over TLS."""
    web_trust_proxy_headers: bool = False
    """Behind a reverse proxy on this host: the same as AVGDESK_WEB_TRUSTED_PROXIES=127.0.0.1,::1."""
    web_trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Reverse proxies (IP addresses or networks, comma-separated) whose X-Forwarded-For is read:
    the client is the right-most address not in this list; empty: the header is ignored."""
    web_login_max_failures_per_user: int = 5
    """Failed logins for one user name from one client address before each further try from there
    waits, doubling from 1 s up to the window (the real user at another address is never held up)."""
    web_login_max_failures_per_ip: int = 20
    """Failed logins per client address within the window."""
    web_login_window_s: int = 900
    """Window of the login rate limits."""
    web_contact_max_per_ip: int = 5
    """Contact-form submissions per client address within the window."""
    web_contact_window_s: int = 600
    """Window of the contact-form rate limit."""
    web_download_max_failures_per_ip: int = 20
    """Dead download links (wrong, expired or used-up token) per client address within the window
    before /download answers 429; a live link counts nothing."""
    web_download_window_s: int = 900
    """Window of the download-link rate limit."""
    web_contact_max_body_bytes: int = 262_144
    """Largest accepted contact-form request."""
    web_contact_max_message_chars: int = 20_000
    """Longest accepted contact-form message."""
    web_contact_model_wait_s: float = Field(default=0.25, ge=0)
    """How long a contact-form submission waits for a model that is loading from the cache, to
    name the case in its confirmation; a model still training is never waited for (the worker
    opens the case a moment later)."""
    web_secret_key: SecretStr | None = None
    """Signs the short-lived contact confirmation link; random per process when unset."""

    # --- retention -----------------------------------------------------------------
    retention_days: int = 730
    """Closed cases with their messages, drafts and audit trail are deleted this many days after closing."""
    retention_unlinked_days: int = 180
    """Messages that never became part of a case (questions, other, automatic, quarantined) are
    deleted this many days after receipt."""
    ledger_retention_days: int = Field(default=1826, ge=1)
    """The content-free compliance ledger of a purged case is kept this long after closing (5 years)."""
    abandoned_after_days: int = Field(default=90, ge=1)
    """A case waiting on the customer this many days without an answer is closed with a letter."""

    # --- OAuth 2.0 (Microsoft 365, Google Workspace) and the Graph transport -----------------
    imap_auth: AuthMethod = AuthMethod.PASSWORD
    """IMAP login: password, or oauth2 (XOAUTH2 with a token from AVGDESK_OAUTH_PROVIDER)."""
    smtp_auth: AuthMethod = AuthMethod.PASSWORD
    """SMTP login: password, or oauth2 (AUTH XOAUTH2; AVGDESK_SMTP_USERNAME is the mailbox)."""
    oauth_provider: OAuthProvider | None = None
    """microsoft (Entra ID client credentials) or google (service account or refresh token)."""
    oauth_tenant_id: str | None = None
    """Microsoft: the Directory (tenant) ID, or the tenant's primary domain."""
    oauth_client_id: str | None = None
    """Microsoft: the app's Application (client) ID; Google refresh-token setups: the OAuth client id."""
    oauth_client_secret: SecretStr | None = None
    """The client secret's value (never logged); Microsoft: or use a certificate instead."""
    oauth_certificate_path: Path | None = None
    """Microsoft: PEM file with the app's private key and certificate (instead of a client secret)."""
    oauth_certificate_thumbprint: str | None = None
    """Microsoft: SHA-1 thumbprint of that certificate; default: computed from the PEM."""
    oauth_authority_url: str = "https://login.microsoftonline.com"
    """Microsoft: the Entra ID authority host (sovereign clouds: login.microsoftonline.us, …)."""
    oauth_mail_scope: str = "https://outlook.office365.com/.default"
    """Microsoft: the scope of IMAP/SMTP tokens (Exchange Online)."""
    oauth_refresh_margin_s: float = 300.0
    """A token is renewed this long before it expires."""
    oauth_timeout_s: float = 30.0
    """Timeout for each request to the token endpoint."""
    oauth_ca_file: Path | None = None
    """CA bundle for the token endpoint and Graph (a TLS-inspecting proxy); default: the system's."""
    google_service_account_file: Path | None = None
    """Google: the service account's JSON key (domain-wide delegation; keep it readable by avgdesk only)."""
    google_subject: str | None = None
    """Google: the mailbox the service account acts as; default AVGDESK_IMAP_USERNAME."""
    google_refresh_token: SecretStr | None = None
    """Google: an installed-app refresh token (instead of a service account; never logged)."""
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    """Google: the token endpoint."""
    outbox_transport: OutboxTransport = OutboxTransport.SMTP
    """smtp, or graph (Microsoft Graph sendMail with AVGDESK_OAUTH_PROVIDER=microsoft)."""
    graph_base_url: str = "https://graph.microsoft.com"
    """Microsoft Graph endpoint (sovereign clouds: graph.microsoft.us, …)."""
    graph_scope: str = "https://graph.microsoft.com/.default"
    """Scope of Graph tokens."""
    graph_mailbox: str | None = None
    """The mailbox Graph sends as; default AVGDESK_SMTP_USERNAME, else AVGDESK_IMAP_USERNAME."""
    graph_connect_timeout_s: float = 15.0
    """Timeout for connecting to Graph."""
    graph_timeout_s: float = 60.0
    """Timeout for each Graph request; a timeout after sending counts as an ambiguous delivery."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in _LOG_LEVELS:
            return value.strip().upper()
        raise ValueError(f"unknown log level {value!r}: use one of {', '.join(_LOG_LEVELS)}")

    @model_validator(mode="after")
    def _database_folder_exists(self) -> Settings:
        # A typo in the URL must not silently make an empty database somewhere else; only the
        # data folder (ours to create) may be missing.
        url = self.database_url or ""
        if not url.startswith("sqlite:///") or ":memory:" in url:
            return self
        folder = Path(url.removeprefix("sqlite:///").split("?", 1)[0]).expanduser().parent
        data_dir = Path(self.data_dir).expanduser()
        if not folder.is_dir() and not folder.is_relative_to(data_dir):
            raise ValueError(
                f"AVGDESK_DATABASE_URL: the folder {folder} does not exist; create it or fix the URL"
            )
        return self

    @field_validator("web_trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: Any) -> list[str]:
        import ipaddress

        items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value or [])
        for item in [i for i in items if i]:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                # "*" or a host name would let any client choose its own address.
                raise ValueError(f"not an IP address or network: {item!r}") from exc
        return [i for i in items if i]

    @field_validator("summary_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: Any) -> Any:
        # "mon", "Monday" and "MON" all mean Monday.
        return value.strip().upper()[:3] if isinstance(value, str) else value

    @field_validator("reminder_time", "model_shared_dir", mode="before")
    @classmethod
    def _no_reminders(cls, value: Any) -> Any:
        """An empty value turns the feature off (no reminders, no shared model)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)

    # --- derived -------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'avgdesk.sqlite3'}"

    @property
    def message_id_domain(self) -> str:
        """The right-hand side of the Message-IDs we make: our first own domain.

        The one fallback (no own domain configured) is a reserved name that cannot collide.
        """
        return self.own_domains[0] if self.own_domains else "avgdesk.invalid"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def imap_configured(self) -> bool:
        return bool(self.imap_host and self.imap_username)

    @property
    def effective_imap_port(self) -> int:
        if self.imap_port:
            return self.imap_port
        return 993 if self.imap_security is Security.SSL else 143

    @property
    def imap_account(self) -> str:
        return f"{self.imap_username}@{self.imap_host}"


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def field_docs() -> dict[str, str]:
    """Each setting's docstring (the string literal after its annotation), by field name."""
    import ast
    import inspect
    import itertools

    tree = ast.parse(inspect.getsource(Settings))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for field, after in itertools.pairwise(body):
        if not isinstance(field, ast.AnnAssign) or not isinstance(field.target, ast.Name):
            continue
        value = after.value if isinstance(after, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            docs[field.target.id] = inspect.cleandoc(value.value)
    return docs


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings once; a bad value becomes a :class:`ConfigurationError`."""
    if config_file is not None and not config_file.is_file():
        raise ConfigurationError(f"config file not found: {config_file}")
    bound = type("BoundSettings", (Settings,), {"_toml_file": config_file})
    try:
        settings: Settings = bound(**overrides)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {config_file} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
    return settings
