"""The DolphinDB script interpreter of the embedded server.

Entry points used by the server core:

    run_script(ctx, text)            -> Value or None   (None = void result)
    call_function(ctx, name, args)   -> Value or None   (a `function` request)

``ctx.python_syntax`` (request flag 2048) selects the Python parser (``pyparser.py``), which
runs on the same interpreter, values and session state.

Both raise ``ScriptError`` whose text is what the real server puts in the status line.
"""
from .context import CancelledJob, SessionContext
from .registry import BUILTINS, ScriptError, builtin, lookup

__all__ = ["run_script", "call_function", "SessionContext", "ScriptError", "CancelledJob",
           "builtin", "lookup", "BUILTINS"]


def run_script(ctx, text):
    """Runs DolphinDB syntax, or Python syntax when the request carried flag 2048."""
    if ctx.python_syntax:
        from .pyparser import run_script as _run
    else:
        from .evaluator import run_script as _run
    return _run(ctx, text)


def call_function(ctx, name, args):
    from .evaluator import call_function as _call
    return _call(ctx, name, args)
