"""Chat models: conversations and their message trees, and the team's saved tools and schemas."""
from chat.models.attachments import Attachment  # noqa: F401
from chat.models.conversation import Conversation, Message  # noqa: F401
from chat.models.experiments import Experiment, ExperimentBatch, ExperimentRun  # noqa: F401
from chat.models.library import SavedSchema, ToolSet  # noqa: F401
from chat.models.pins import Pin  # noqa: F401
from chat.models.preferences import Preferences  # noqa: F401
from chat.models.mcp import McpServer  # noqa: F401
from chat.models.embeddings import EmbeddingResult  # noqa: F401
