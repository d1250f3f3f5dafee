"""SecretSource: a secret given inline, in a file or in an environment variable.

Its own module so that every settings module (dialerd.config, dialerd.followup_settings) can
build on it without importing the others.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator


class SecretSource(BaseModel):
    """A secret given inline, in a file (first line), or in an environment variable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    secret: SecretStr | None = None
    secret_file: str | None = None
    secret_env: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [s for s in (self.secret, self.secret_file, self.secret_env) if s is not None]
        if len(given) > 1:
            raise ValueError("give only one of secret, secret_file, secret_env")
        return self

    def reveal(self) -> str | None:
        if self.secret is not None:
            return self.secret.get_secret_value()
        if self.secret_file is not None:
            return Path(self.secret_file).read_text(encoding="utf-8").splitlines()[0].strip()
        if self.secret_env is not None:
            return os.environ[self.secret_env]
        return None


__all__ = ["SecretSource"]
