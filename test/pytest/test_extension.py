"""The C++ extension is part of every install: it loads, registers the tw dialect and transform.tw.*
into new contexts, and its plugin file exists for stock mlir-opt."""

from __future__ import annotations

import re
from pathlib import Path

from mlir import ir
from mlir.passmanager import PassManager

import pytest
from tilewright import extension
from tilewright.mlir_env import new_context


def test_the_extension_is_built_and_loads():
    assert extension.available(), "pip install builds the C++ extension; it did not load"
    assert extension.plugin_path().is_file()


def test_new_contexts_know_the_tw_ops():
    ctx = new_context()
    assert ctx.dialects["tw"] is not None
    with ctx, ir.Location.unknown():
        module = ir.Module.parse(
            """
            module attributes {transform.with_named_sequence} {
              transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
                %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
                %a, %b = transform.tw.fuse_consumer %f into (%f)
                    : (!transform.any_op, !transform.any_op) -> (!transform.any_op, !transform.any_op)
                transform.yield
              }
            }
            """
        )
    assert "transform.tw.fuse_consumer" in str(module)


def _cpp_pass_names() -> set[str]:
    root = Path(__file__).resolve().parents[2]
    names = set()
    for source in [*root.glob("transforms/**/*.cpp"), *root.glob("dialects/**/*.cpp")]:
        names |= set(re.findall(r'getArgument\(\) const final \{ return "([^"]+)"', source.read_text()))
    return names


def test_pipelines_know_every_cpp_pass():
    """tilewright's pipeline parser accepts the extension's passes by name: the list is complete."""
    assert _cpp_pass_names() == set(extension.PASSES)


@pytest.mark.parametrize("name", extension.PASSES)
def test_every_cpp_pass_is_registered(name):
    extension.register()
    with new_context():
        PassManager.parse(f"builtin.module(func.func({name}))")
