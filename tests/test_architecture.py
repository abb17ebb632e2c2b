"""The package's shape: methods apart from papers, no import cycle, no use of
another module's private (underscore) names, and a torch-free name table that
agrees with the paper modules. Read from the sources (ast), function-local
imports included."""
import ast

import pytest

from minilab import catalog, paths

PACKAGE = paths.ROOT / 'minilab'


def _module_name(path):
    rel = path.relative_to(paths.ROOT).with_suffix('')
    parts = rel.parts[:-1] if rel.name == '__init__' else rel.parts
    return '.'.join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def _imports(name, path):
    """(imported minilab module, names taken from it, local alias -> module) of a module."""
    tree = ast.parse(path.read_text())
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    edges, taken, aliases = set(), [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('minilab'):
                    edges.add(a.name)
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1] + [base])
            if not base.startswith('minilab'):
                continue
            for a in node.names:
                full = f'{base}.{a.name}'
                if full in MODULES:  # a submodule
                    edges.add(full)
                    aliases[a.asname or a.name] = full
                else:
                    edges.add(base)
                    taken.append((base, a.name))
    return edges, taken, aliases, tree


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_no_import_cycle():
    state = {}

    def visit(node, stack):
        state[node] = 'open'
        for nxt in sorted(GRAPH[node][0]):
            if nxt not in GRAPH or nxt == node:
                continue
            if state.get(nxt) == 'open':
                cycle = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                pytest.fail('import cycle: ' + ' -> '.join(cycle))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 'done'

    for name in GRAPH:
        if name not in state:
            visit(name, [name])


def test_no_module_uses_another_modules_private_names():
    found = []
    for name, (_, taken, aliases, tree) in GRAPH.items():
        found += [f'{name}: from {base} import {n}' for base, n in taken
                  if n.startswith('_') and base != name]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith('_')
                    and not node.attr.startswith('__')):
                found.append(f'{name}: {node.value.id}.{node.attr}')
    assert not found, found


def test_methods_do_not_import_papers():
    """What a paper proposes is a method; the papers compose methods, never the reverse."""
    bad = [f'{name} imports {dep}' for name, (deps, *_) in GRAPH.items()
           if name.startswith('minilab.methods') for dep in deps if dep.startswith('minilab.papers')]
    assert not bad, bad


def test_catalog_agrees_with_the_paper_modules():
    from minilab import experiments
    assert {n: (e['paper'], set(e['presets'])) for n, e in experiments.EXPERIMENTS.items()} == \
        {n: (paper, set(presets)) for n, (paper, presets) in catalog.EXPERIMENTS.items()}


def test_cli_answers_help_and_bad_names_without_torch():
    import subprocess
    import sys
    code = ('import sys\nfrom minilab import cli\n'
            'for argv in (["run", "no-such"], ["run", "wr_main", "--preset", "huge"]):\n'
            '    assert cli.main(argv) == 2\n'
            'assert "torch" not in sys.modules, "torch was imported"\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=paths.ROOT)
    assert out.returncode == 0, out.stderr
    assert "unknown experiment 'no-such'" in out.stderr
    assert "unknown preset 'huge' for wr_main; valid: tiny, mini, paper" in out.stderr
    help_out = subprocess.run([sys.executable, '-c', 'import sys\nfrom minilab import cli\n'
                               'try:\n    cli.main(["--help"])\nexcept SystemExit:\n    pass\n'
                               'assert "torch" not in sys.modules'],
                              capture_output=True, text=True, cwd=paths.ROOT)
    assert help_out.returncode == 0 and 'usage: minilab' in help_out.stdout, help_out.stderr
