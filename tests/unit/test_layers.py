"""Imports point down only and form no cycle, counting imports inside functions.

import-linter's layers contract (pyproject.toml, run by ``lint-imports`` in CI)
forbids upward imports between packages; this test adds what it cannot see:
a cycle between two modules of one package. Imports made only for type
checking are left aside, as they never run.
"""

from __future__ import annotations

import grimp


def test_no_import_cycle_between_trainer_modules() -> None:
    graph = grimp.build_graph(
        "trainer", include_external_packages=False, exclude_type_checking_imports=True
    )
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append(" -> ".join([module, *back]))
    assert cycles == []
