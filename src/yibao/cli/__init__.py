"""The ``yibao`` command line, split by noun (one module per noun)."""

from __future__ import annotations

import typer

from yibao.cli import policy as policy_cli
from yibao.cli import settle as settle_cli
from yibao.cli import simulate as simulate_cli
from yibao.cli import synth as synth_cli

app = typer.Typer(help="yibao 医保服务平台命令行", no_args_is_help=True, add_completion=False)
app.command("settle")(settle_cli.settle_command)
app.add_typer(policy_cli.app, name="policy", help="医保政策：列表、查看、校验")
app.command("synth")(synth_cli.synth_command)
app.command("simulate")(simulate_cli.simulate_command)


def _register_optional() -> None:
    """Nouns that need the service layer register here (imported lazily to keep startup fast)."""
    from yibao.cli import account as account_cli
    from yibao.cli import application as application_cli
    from yibao.cli import catalog as catalog_cli
    from yibao.cli import db as db_cli
    from yibao.cli import demo as demo_cli
    from yibao.cli import institution as institution_cli
    from yibao.cli import person as person_cli
    from yibao.cli import serve as serve_cli
    from yibao.cli import staff as staff_cli

    app.command("serve")(serve_cli.serve_command)
    app.add_typer(db_cli.app, name="db", help="数据库：创建与升级")
    app.add_typer(person_cli.app, name="person", help="参保人：登记、查看")
    app.add_typer(account_cli.app, name="account", help="个人账户：余额、流水、划入与调整")
    app.add_typer(institution_cli.app, name="institution", help="定点医药机构：登记与 API 密钥")
    app.add_typer(catalog_cli.app, name="catalog", help="医保目录：导入")
    app.add_typer(demo_cli.app, name="demo", help="演示数据")
    app.add_typer(application_cli.app, name="application", help="申请：列表与审核状态变更")
    app.add_typer(staff_cli.app, name="staff", help="经办人员：新增、列表、重置")


_register_optional()


def main() -> None:
    app()
