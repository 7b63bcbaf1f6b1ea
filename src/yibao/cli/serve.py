"""``yibao serve``: run the web service."""

from __future__ import annotations

from typing import Annotated

import typer


def serve_command(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="进程数（多进程时各自监听，内核均衡分配连接）")
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="每个请求记一行访问日志")
    ] = True,
) -> None:
    """启动 yibao 网络服务（API 与页面）。"""
    from yibao.web.serving import serve

    serve(host, port, workers, access_log=access_log)
