"""The ``yibao`` command line, split by noun (one module per noun)."""

from __future__ import annotations

import typer

from yibao.cli import policy as policy_cli
from yibao.cli import settle as settle_cli

app = typer.Typer(help="yibao 医保服务平台命令行", no_args_is_help=True, add_completion=False)
app.command("settle")(settle_cli.settle_command)
app.add_typer(policy_cli.app, name="policy", help="医保政策：列表、查看、校验")


def _register_optional() -> None:
    """Nouns that need the service layer register here (imported lazily to keep startup fast)."""
    from yibao.cli import serve as serve_cli

    app.command("serve")(serve_cli.serve_command)


_register_optional()


def main() -> None:
    app()
