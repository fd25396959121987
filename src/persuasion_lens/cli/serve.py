"""`plens serve`: the local web app and HTTP API."""

from __future__ import annotations

import errno
import socket

import typer

from persuasion_lens.cli.common import (
    ANALYSE_PANEL,
    OTHER_MODELS,
    app,
    console,
    fail,
    user_errors_are_one_line,
    warn,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@app.command(rich_help_panel=ANALYSE_PANEL)
@user_errors_are_one_line
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. The app has no "
                             "login: keep it on 127.0.0.1 unless the network is trusted."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    max_bytes: int = typer.Option(2_000_000, "--max-bytes", min=1,
                                  help="Largest article accepted, in bytes (larger: HTTP 413)."),
    db: str | None = typer.Option(None, "--db", help="Database URL of a corpus (adds the corpus "
                                  "endpoints when installed)."),
    model: str | None = typer.Option(None, "--model", help="Folder of a technique model to use "
                                     f"instead of the shipped one, {OTHER_MODELS}."),
    no_spans: bool = typer.Option(False, "--no-spans", help="Skip span detection."),
    narratives: bool = typer.Option(False, "--narratives", help="Also show narratives, "
                                    "entity roles and the side taken (experimental)."),
    log_level: str = typer.Option("info", "--log-level",
                                  help=f"uvicorn log level: {', '.join(LOG_LEVELS)}."),
) -> None:
    """Start the web app: open http://HOST:PORT/ in a browser; the API reference is at /docs."""
    import uvicorn

    from persuasion_lens.pipeline.analyzer import Analyzer
    from persuasion_lens.web.app import create_app

    if log_level.lower() not in LOG_LEVELS:
        fail(f"--log-level: '{log_level}' is not one of {', '.join(LOG_LEVELS)}")
    if db:  # the corpus pages only read: a mistyped path is an error, not a new empty corpus
        from persuasion_lens.storage import open_database

        open_database(db, must_exist=True).dispose()
    if host not in LOCAL_HOSTS:
        warn(f"listening on {host}: anyone who can reach this address can use the app")
    listener = _listening_socket(host, port)  # before the models load: a taken port fails fast
    with console.status("loading the models…"):
        analyzer = Analyzer.load(model, spans=not no_spans, narratives=narratives)
    application = create_app(analyzer, max_bytes=max_bytes, db_url=db)
    shown_host = f"[{host}]" if ":" in host else host
    console.print(f"persuasion-lens is running at [bold]http://{shown_host}:{port}/[/] "
                  f"(models: {analyzer.model_version}); press Ctrl+C to stop.", highlight=False)
    config = uvicorn.Config(application, host=host, port=port, log_level=log_level.lower(),
                            timeout_graceful_shutdown=5)
    with listener:
        uvicorn.Server(config).run(sockets=[listener])


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bind the address before saying the app runs there: a port that is taken is then one
    error line, not a "running at" line followed by uvicorn's error."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, protocol)
    except OSError as error:
        fail(f"cannot listen on {host}:{port} ({error.strerror or error})")
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        reason = "the port is in use" if error.errno == errno.EADDRINUSE else error.strerror
        fail(f"cannot listen on {host}:{port} ({reason or error})")
    return listener
