"""mypy plugin: `d.get("key")` on a TypedDict must name one of its keys (mypy itself checks only `d["key"]`).

The renderers read outbox facts (accounts/facts.py) with `.get`, since older rows may lack newer keys; this
plugin makes a misspelt key there fail `make lint`. Enabled by `plugins` in pyproject.toml's [tool.mypy].
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import MethodContext, Plugin
from mypy.plugins.default import typed_dict_get_callback
from mypy.typeops import try_getting_str_literals
from mypy.types import Type, TypedDictType, get_proper_type

MAPPING_GET = "typing.Mapping.get"  # the method mypy resolves TypedDict.get to


def check_get(ctx: MethodContext) -> Type:
    typed_dict = get_proper_type(ctx.type)
    if isinstance(typed_dict, TypedDictType) and ctx.args and len(ctx.args[0]) == 1:
        key_expr = ctx.args[0][0]
        for key in try_getting_str_literals(key_expr, ctx.arg_types[0][0]) or ():
            if key not in typed_dict.items:
                ctx.api.msg.typeddict_key_not_found(typed_dict, key, key_expr)
    return typed_dict_get_callback(ctx)  # then mypy's own typing of the result


class TypedDictGetPlugin(Plugin):
    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return check_get if fullname == MAPPING_GET else None


def plugin(version: str) -> type[Plugin]:
    return TypedDictGetPlugin
