"""The base of every error RetainAI reports as one clear line, and configuration errors."""


class RetainAIError(Exception):
    """Base of every error the CLI reports as one clear line.

    `RetainAIError("no user %(id)s", id=7)` keeps its English text (`str(error)`, "no user 7")
    and its `template` and `values`, so a door can translate the message before filling it in
    (serving/errors.py looks the template up in the reader's catalogue)."""

    def __init__(self, *args: object, **values: object) -> None:
        template = args[0] if len(args) == 1 and isinstance(args[0], str) else None
        if values and template is not None:
            args = (template % values,)
        super().__init__(*args)
        self.template = template
        self.values = values


class ConfigError(RetainAIError):
    """A run config or setting is invalid."""


class SettingsError(ConfigError):
    """Invalid settings: `lines` holds one line per invalid variable (its name, what is wrong
    and the fix, never its value); the message is those lines."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)
