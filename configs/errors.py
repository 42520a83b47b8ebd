"""The base of every error RetainAI reports as one clear line, and configuration errors."""


class RetainAIError(Exception):
    """Base of every error the CLI reports as one clear line."""


class ConfigError(RetainAIError):
    """A run config or setting is invalid."""
