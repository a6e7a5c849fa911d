"""The DolphinDB script interpreter of the embedded server.

Entry points used by the server core:

    run_script(ctx, text)            -> Value or None   (None = void result)
    call_function(ctx, name, args)   -> Value or None   (a `function` request)

``ctx.python_syntax`` (request flag 2048) selects the Python parser (``pyparser.py``), which
runs on the same interpreter, values and session state.

Both raise ``ScriptError`` whose text is what the real server puts in the status line.
"""
from ..errors import CancelledJob, ScriptError
from .builtins import (aggregates, arrays, casts, dfs as dfs_builtins, files, forms, higher_order,  # noqa: F401
                       joins, operators, predicates, session, strings, tables, temporal, textfiles,
                       vectors)   # (registration)
from . import evaluator, pyparser
from .context import Host, SessionContext
from .registry import BUILTINS, builtin, lookup

__all__ = ["run_script", "call_function", "SessionContext", "ScriptError", "CancelledJob",
           "builtin", "lookup", "BUILTINS", "Host"]


def run_script(ctx, text):
    """Runs DolphinDB syntax, or Python syntax when the request carried flag 2048."""
    return (pyparser if ctx.python_syntax else evaluator).run_script(ctx, text)


def call_function(ctx, name, args):
    return evaluator.call_function(ctx, name, args)
