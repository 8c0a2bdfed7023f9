"""The package as pip installs it: every cnnviz subpackage, the `cnnviz` command, pinned requirements."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_the_install_finds_every_cnnviz_package_and_nothing_else():
    from setuptools import find_namespace_packages, find_packages

    finder = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    find = find_namespace_packages if finder.get("namespaces", True) else find_packages  # setuptools' default
    found = set(find(str(REPO_ROOT), include=finder["include"]))
    on_disk = {
        ".".join(folder.relative_to(REPO_ROOT).parts)
        for folder in (REPO_ROOT / "cnnviz").rglob("*")
        if folder.is_dir() and any(folder.glob("*.py"))
    } | {"cnnviz"}
    assert on_disk <= found and all(name.split(".")[0] == "cnnviz" for name in found), found - on_disk


def test_the_cnnviz_command_is_the_cli_main():
    module, _, function = PYPROJECT["project"]["scripts"]["cnnviz"].partition(":")
    from cnnviz.cli.main import main

    assert getattr(importlib.import_module(module), function) is main


def test_requirements_txt_installs_the_package_and_pins_each_dependency_within_its_range():
    lines = [line.split("#")[0].strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "-e ." in lines
    pins = {canonicalize_name(r.name): r for r in (Requirement(line) for line in lines if line != "-e .")}
    declared = {canonicalize_name(r.name): r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
    assert pins.keys() == declared.keys()
    for name, pin in pins.items():
        [exact] = pin.specifier
        assert exact.operator == "==" and declared[name].specifier.contains(exact.version), (name, exact)
