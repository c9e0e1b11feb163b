"""What an adapter is given: a provider's settings with no ORM attached."""
from dataclasses import dataclass, field

from providers.secrets import Secret
from providers.types import Capabilities


@dataclass(frozen=True)
class ProviderConfig:
    kind: str
    name: str
    slug: str
    base_url: str
    api_key: Secret | None = None
    extra_headers: dict = field(default_factory=dict)
    timeout: float = 180.0  # the whole wait for a reply's first byte, retries included
    max_retries: int = 3
    idle_timeout: float = 60.0  # the longest silence between two chunks of a reply
    capabilities: Capabilities = field(default_factory=Capabilities)
    options: dict = field(default_factory=dict)  # kind-specific, e.g. Azure's api_version
    preset: str = ""

    def key(self) -> str | None:
        return self.api_key.reveal() if self.api_key else None
