"""Typed errors: every failure a user can cause has a class and a one-line message."""

# defined with the configs (which may not import tasks); every error is importable from here
from configs.errors import ConfigError, RetainAIError


class DataSourceError(RetainAIError):
    """A data source cannot be read: missing file, bad URI, unreachable server."""


class StructuralValidationError(RetainAIError):
    """The data breaks its contract as a whole; nothing downstream may run."""


class QuarantineLimitError(RetainAIError):
    """Too many rows failed row-level rules to trust the rest."""


class QualityGateError(RetainAIError):
    """A trained model misses an absolute quality gate."""


class ChampionGateError(RetainAIError):
    """A challenger is worse than the current champion on the same holdout."""


class RegistryError(RetainAIError):
    """The model registry is missing what was asked for (version, alias, champion)."""


class TransientSourceError(DataSourceError):
    """A source failed in a way a retry may fix: server unreachable, timeout, HTTP 5xx."""


class DriftBlockedError(RetainAIError):
    """Data drift passed the threshold and the configured action is `block`."""


class PerformanceAlertError(RetainAIError):
    """Realised performance on delayed outcomes fell below the configured floor."""


class ProfilingError(RetainAIError):
    """A table cannot be drafted into a config (no such target, not two labels)."""


class UnsubscribeTokenError(RetainAIError):
    """An unsubscribe token is malformed, was not signed with our key or was altered."""


class UnsubscribeTokenExpiredError(UnsubscribeTokenError):
    """An unsubscribe token is genuine but older than the accepted age."""


class SmsExportError(RetainAIError):
    """A text message cannot go to the gateway as it is (too long, no phone, repeated id)."""


class MailError(RetainAIError):
    """An email was not handed to the SMTP server; `code` is the server's reply code, if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentMailError(MailError):
    """The server refused the message for good (5xx): mark it failed, never retry it as is."""


class AddressRefusedError(PermanentMailError):
    """The recipient address is malformed or refused for good (5xx at RCPT): a bounce."""


class TransientMailError(MailError):
    """Nothing was delivered and a later attempt may work (4xx, unreachable, timeout)."""


class DeliveryUnknownError(MailError):
    """The connection broke while the message was being handed over: it may have arrived."""


class LoginRefusedError(RetainAIError):
    """Wrong email or password (the message never says which), or an inactive account."""


class TooManyAttemptsError(RetainAIError):
    """Too many failed logins for the account or from the address; try again later."""

    def __init__(self, message: str, retry_after: int, **values: object):
        super().__init__(message, **values)
        self.retry_after = retry_after


class StackError(RetainAIError):
    """A local service of the stack cannot start, answer or stop (names the service and log)."""


class ProblemsError(ConfigError):
    """Several things are wrong at once (what the deployments will read, stores the stack
    cannot create): the message says what was refused, `details` one problem a line."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = list(details)


# The typed errors of the application layer: each door (API, pages, CLI) maps them once to
# its own answer (HTTP status, page, exit code). Services raise these, never HTTP errors.
class NotFoundError(RetainAIError):
    """What was asked for does not exist (or the caller may not know that it does)."""


class ConflictError(RetainAIError):
    """The request clashes with what is stored: a duplicate, a wrong state, a running job."""


class ConcurrentRunError(ConflictError):
    """Another run already holds the lock for the same period."""


class InvalidInputError(RetainAIError):
    """The caller's input breaks a rule; the message says which field and why."""


class ForbiddenError(RetainAIError):
    """The caller is known but may not do this."""


class SecondApproverError(ForbiddenError):
    """The four-eyes rule (campaigns.require_second_approver): the approver must be a person
    (a session or a login token) other than the campaign's creator."""


class UnavailableError(RetainAIError):
    """A service this use case needs does not answer (database, registry, mail relay)."""


class TooLargeError(InvalidInputError):
    """A file has more rows, columns or cells than its door accepts (the limit is named)."""
