"""The set-up as a Jupyter notebook: one markdown cell (in the session's language) and one code cell per step."""

from __future__ import annotations

from cnnviz.lesson.code import Setup, heading, steps


def notebook_json(setup: Setup, title: str = "") -> str:
    """The ``.ipynb`` text of ``setup``, written with nbformat (version 4)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [new_markdown_cell(f"# {heading(title)}")]
    for number, step in enumerate(steps(setup), start=1):
        cells.append(new_markdown_cell(f"## {number}. {step.title}\n\n{step.explanation}"))
        cells.append(new_code_cell(step.code))
    notebook = new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nbformat.validate(notebook)
    return nbformat.writes(notebook)
