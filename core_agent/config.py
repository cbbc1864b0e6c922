"""All settings, from the environment (prefix AUDIOGPT_) and a .env file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, FilePath, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A list from the environment written as "a,b,c" (JSON lists work too).
CommaList = Annotated[list[str], NoDecode]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "audiogpt"


class Settings(BaseSettings):
    """Defaults run the embedded mode: SQLite, in-process jobs, offline planner."""

    model_config = SettingsConfigDict(
        env_prefix="AUDIOGPT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None  # None: SQLite in the data folder
    redis_url: str | None = None  # None: jobs run in-process
    queue_name: str = "audiogpt:jobs"
    worker_max_jobs: int = 2  # concurrent jobs per worker process
    # Whisper: speech segments of a recording decoded in one batch; None: the default for the
    # model's device (1 on a CPU, 16 on a GPU). Above 1, concurrent voice notes batch too.
    asr_batch_size: int | None = None
    asr_batch_window: float = 0.05  # seconds a voice note waits for others to batch with
    # Jobs go to "<queue_name>:gpu" when the backend that serves them is a neural-catalog
    # model (or the task is listed here), else to "<queue_name>:cpu".
    gpu_tasks: CommaList = Field(default_factory=list)
    model_memory_mb: float | None = None  # per worker: loaded models beyond it evict the LRU
    worker_metrics_port: int | None = None  # /healthz and /metrics of `audiogpt worker`
    worker_metrics_host: str = "127.0.0.1"  # 0.0.0.0 in a container, for Prometheus
    model_dir: Path | None = None  # None: <data_dir>/models
    # Media in an S3-compatible bucket (shared by bots and workers on other machines), with
    # <data_dir>/media as a local cache; credentials from AWS_* / boto3's usual chain.
    s3_bucket: str | None = None  # None: media stay in <data_dir>/media
    s3_endpoint_url: str | None = None  # None: AWS; else MinIO, Ceph, R2, ...
    s3_prefix: str = ""  # keys are "<prefix>/<channel>/<handle><suffix>"
    hrtf_sofa: FilePath | None = None  # a SOFA HRIR file; None: the first in <models_dir>/hrtf/
    # The hub repository `models pull talking_head` fetches wav2lip_gan.pth from (community
    # copies only; the authors publish no hub repository, so none is assumed).
    wav2lip_repo: str | None = None
    # The DiffSinger voicebank (ONNX export, OpenUTAU layout) `models pull singing_synthesis`
    # fetches: no single canonical hub repository exists, so none is assumed.
    diffsinger_repo: str | None = None
    hf_endpoint: str = Field(default="https://huggingface.co",  # or a mirror
                             validation_alias=AliasChoices("HF_ENDPOINT", "AUDIOGPT_HF_ENDPOINT"))
    hf_token: SecretStr | None = Field(  # for gated checkpoints
        default=None, validation_alias=AliasChoices("HF_TOKEN", "AUDIOGPT_HF_TOKEN"))

    planner: Literal["auto", "offline", "llm"] = "auto"  # auto: llm when one is configured
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 30.0  # seconds per request
    llm_max_retries: int = 2
    llm_max_tokens: int = 1024
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "AUDIOGPT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "AUDIOGPT_OPENAI_BASE_URL")
    )

    history_turns: int = 12  # recent turns the planner sees
    max_plan_steps: int = Field(default=8, ge=1)  # per message; longer plans are refused
    max_upload_bytes: int = 50 * 1024 * 1024
    max_audio_seconds: float = 30 * 60.0
    max_image_pixels: int = 40_000_000  # a picture's width × height (decompression bombs)
    max_text_chars: int = 4000
    job_timeout: float = 600.0  # seconds a single step may run
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for collectors
    voice_replies: bool = False  # default for new channels

    # Access, shared by every platform. Ids are platform-qualified: "telegram:user:42",
    # "telegram:chat:-100", "slack:team:T1", "slack:channel:C1", "discord:guild:9",
    # "discord:role:7"; "<platform>:*" admits a whole platform. A platform named in `allow`
    # admits only messages matching one of its entries; platforms not named are open.
    allow: CommaList = Field(default_factory=list)
    admins: CommaList = Field(default_factory=list)  # user ids exempt from lists and quotas
    quota_window_hours: float = 24.0
    quota_user_jobs: int = 200  # jobs per user per window
    quota_user_compute_seconds: float = 3600.0  # model time per user per window
    quota_channel_jobs: int = 1000  # jobs per channel per window

    web_host: str = "127.0.0.1"  # the local web chat; loopback unless told otherwise
    web_port: int = 8765
    web_token: SecretStr | None = None  # required when web_host is not loopback
    # What a web client may hold: a connection is closed when a request's head takes longer
    # than web_header_timeout, when its body stalls (under 1 KiB) for web_body_timeout, or
    # when it sits idle between requests for web_keep_alive (seconds); connections beyond
    # web_max_connections are answered 503.
    web_header_timeout: float = Field(default=10.0, gt=0)
    web_body_timeout: float = Field(default=15.0, gt=0)
    web_keep_alive: int = Field(default=5, ge=1)
    web_max_connections: int = Field(default=100, ge=1)
    # Uploads staged for a message not yet sent (or in its turn): per browser, in all; and
    # seconds an unsent one is kept.
    web_staged_bytes_per_client: int = 100 * 1024 * 1024
    web_staged_bytes_total: int = 200 * 1024 * 1024
    web_upload_stale_seconds: float = Field(default=600.0, gt=0)

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    # Telegram: long polling unless a public webhook URL is set. A local Bot API server
    # (base URLs below, local mode on) lifts the 20 MB download and 50 MB upload limits.
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_local_mode: bool = False
    telegram_webhook_url: str | None = None  # e.g. https://bot.example.org/telegram
    telegram_webhook_listen: str = "127.0.0.1"  # behind the reverse proxy that serves the URL
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = None  # required with a webhook
    telegram_status_after: float = 3.0  # seconds before a "working on it" message is posted
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_command: str = "/audiogpt"  # the slash command, as in bots/slack/manifest.yaml
    slack_api_url: str = "https://slack.com/api/"  # the Web API (a local stand-in in tests)
    slack_files_url: str = "https://files.slack.com/"  # the only origin the bot token goes to
    slack_host: str = "0.0.0.0"  # HTTP mode (no app token): where Slack posts signed events
    slack_port: int = 3000
    slack_path: str = "/slack/events"
    discord_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_BOT_TOKEN")
    )
    discord_command: str = "audiogpt"  # the main slash command
    discord_sync_guild: int | None = None  # sync commands to one guild only (instant, for testing)
    discord_api_url: str = "https://discord.com/api/v10"  # REST (a proxy, or a stand-in in tests)
    discord_gateway_url: str = "wss://gateway.discord.gg/"  # likewise for the gateway

    @field_validator("allow", "admins", "gpu_tasks", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def media_dir(self) -> Path:
        """Where artifacts live, one folder per channel."""
        return self.data_dir / "media"

    @property
    def models_dir(self) -> Path:
        """Where neural-catalog models are pulled to."""
        return self.model_dir or self.data_dir / "models"

    @property
    def cache_dir(self) -> Path:
        """What is kept between runs only to save time (safe to delete)."""
        return self.data_dir / "cache"

    @property
    def db_url(self) -> str:
        """The database URL, SQLite in the data folder unless one is set."""
        return self.database_url or f"sqlite:///{self.data_dir / 'audiogpt.db'}"

    @property
    def use_llm(self) -> bool:
        """Whether the LLM planner is in charge."""
        if self.planner == "auto":
            return self.openai_api_key is not None or self.openai_base_url is not None
        return self.planner == "llm"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
