"""Which version is champion, for people: list the versions, promote one, roll back."""

from __future__ import annotations

from configs.schema import RunConfig
from tasks.adapters import db, registry
from tasks.core import promotion
from tasks.core.errors import ConflictError, NotFoundError, RegistryError
from tasks.services.context import Context
from tasks.services.models.commands import ChampionMoved, PromoteVersion, RollBack, VersionRow


def list_versions(ctx: Context, config: RunConfig) -> list[VersionRow]:
    """Every registered version of the config's model, newest first."""
    registry.configure(ctx.settings)
    return [
        VersionRow(
            version=v.version,
            aliases=",".join(v.aliases),
            family=v.tags.get("model_family", ""),
            roc_auc=v.metrics.get("roc_auc"),
            brier=v.metrics.get("brier"),
            threshold=v.tags.get("threshold", ""),
            run_id=v.run_id,
        )
        for v in registry.versions(ctx.settings.model_name(config))
    ]


def _prepared(ctx: Context) -> None:
    registry.configure(ctx.settings)
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)


def promote_version(ctx: Context, command: PromoteVersion) -> ChampionMoved:
    """Move `champion` to the version by hand (no gates); NotFoundError for an unknown one."""
    _prepared(ctx)
    name = ctx.settings.model_name(command.config)
    try:
        target = registry.get_version(name, command.version)
    except RegistryError as error:
        raise NotFoundError(str(error)) from None
    current = registry.version_by_alias(name, registry.CHAMPION)
    registry.set_alias(name, registry.CHAMPION, target.version)
    previous = current.version if current else None
    db.record_promotion(
        ctx.engine,
        model_name=name,
        action="manual",
        version=target.version,
        previous_version=previous,
        reason=command.reason,
        metrics=target.metrics,
        run_id=target.run_id,
    )
    return ChampionMoved(target.version, previous)


def rollback(ctx: Context, command: RollBack) -> ChampionMoved:
    """Move `champion` back to the version that held it before; ConflictError when there is
    no champion or no earlier one."""
    _prepared(ctx)
    name = ctx.settings.model_name(command.config)
    current = registry.version_by_alias(name, registry.CHAMPION)
    history = db.promotion_history(ctx.engine, name)
    try:
        target = promotion.rollback_target(history, current.version if current else None)
        restored = registry.get_version(name, target)
    except RegistryError as error:
        raise ConflictError(str(error)) from None
    registry.set_alias(name, registry.CHAMPION, target)
    db.record_promotion(
        ctx.engine,
        model_name=name,
        action="rollback",
        version=target,
        previous_version=current.version,
        reason=command.reason,
        metrics=restored.metrics,
        run_id=restored.run_id,
    )
    return ChampionMoved(target, current.version)
