"""``fmpc serve PROG.fmpa [--host 127.0.0.1] [--port 8000] [--checkpoint-every N]``: serve an
artifact over HTTP with uvicorn (``fmpc.deploy.server``; docs/serving.md)."""

from __future__ import annotations

import argparse
from typing import Any


def add_serve_command(subparsers: Any) -> None:
    """Register ``serve`` on an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "serve",
        help="serve an artifact over HTTP (answer, feedback, health, metrics)",
        description="Serve an artifact made by `fmpc build` with FastAPI and uvicorn.",
    )
    p.add_argument("artifact", help="the artifact (PROG.fmpa)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=100,
        metavar="N",
        help="save the learned state every N feedbacks (100; 0: only at shutdown)",
    )
    p.add_argument("--max-batch", type=int, default=16, help="items per micro-batch (16)")
    p.add_argument("--max-wait-ms", type=float, default=2.0, help="micro-batch wait (2 ms)")
    p.add_argument("--pending", type=int, default=4096, help="answers awaiting feedback (4096)")
    p.add_argument(
        "--feedback-ttl", type=float, default=3600.0, metavar="S", help="how long (3600 s)"
    )
    p.add_argument(
        "--recompile",
        action="store_true",
        help="compile the exported StableHLO instead of loading the build's executables",
    )
    p.add_argument("--log-level", default="info", help="uvicorn's log level (info)")
    p.set_defaults(handler=cmd_serve)


def _settled(program: Any) -> Any:
    """Once the program is loaded, freeze what is alive into the garbage collector's permanent
    generation: it is never scanned again, so collections during requests stay short (a
    setting of this process, which serves nothing else)."""
    import gc

    gc.collect()
    gc.freeze()
    return program


def cmd_serve(args: argparse.Namespace) -> int:
    """``fmpc serve``: run the server until it is stopped (SIGINT/SIGTERM), then save."""
    import logging

    import uvicorn

    from fmpc.cli.common import compilation_cache
    from fmpc.deploy.artifact import open_artifact
    from fmpc.deploy.program import ServeOptions, load
    from fmpc.deploy.server import create_app

    options = ServeOptions(
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        pending=args.pending,
        feedback_ttl_s=args.feedback_ttl,
        checkpoint_every=args.checkpoint_every,
        use_compiled=not args.recompile,
    )
    open_artifact(args.artifact)  # a bad artifact is a message before the server starts
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("fmpc").setLevel(args.log_level.upper())
    app = create_app(lambda: _settled(load(args.artifact, options)))
    with compilation_cache(args.artifact):
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
