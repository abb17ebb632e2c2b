"""End to end in a real browser: JupyterLab on loopback, the playground
notebook run in it, a widget driven, a tiny training run, the curve and the
result checked, a screenshot saved as build/browser/playground.png.

Needs Debian's Chromium (`make browser`, part of `make setup`) and Playwright
(a test dependency, which never downloads a browser here: it is pointed at the
system one). Without them the test skips and says which is missing; with
MINILAB_REQUIRE_BROWSER=1 it fails instead.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from minilab import notebooks, paths

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome')
SCREENSHOT = paths.BUILD / 'browser' / 'playground.png'


def _missing(reason):
    if os.environ.get('MINILAB_REQUIRE_BROWSER') == '1':
        pytest.fail(reason)
    pytest.skip(reason)


def _browser():
    path = os.environ.get('MINILAB_CHROMIUM') or next(
        (p for p in map(shutil.which, BROWSERS) if p), None)
    if path is None:
        _missing("no Chromium on PATH: `make browser` installs Debian's chromium "
                 "(apt-get), or set MINILAB_CHROMIUM to a Chromium binary")
    return path


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _smoke_notebook(folder):
    """The playground notebook with SMOKE=True (tiny data: a run takes seconds)."""
    nb = notebooks.read_notebook('playground')
    cell = next(c for c in nb.cells if 'parameters' in c.metadata.get('tags', []))
    assert 'SMOKE: bool = False' in cell.source
    cell.source = cell.source.replace('SMOKE: bool = False', 'SMOKE: bool = True')
    path = folder / 'playground.ipynb'
    nbformat.write(nb, path)
    return path


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1, a free port and a random token, serving tmp_path."""
    if shutil.which('jupyter-lab', path=str(Path(sys.executable).parent)) is None:
        _missing('jupyter-lab is not installed next to this python: run `make setup`')
    _smoke_notebook(tmp_path)
    port, token = _free_port(), uuid.uuid4().hex
    settings = tmp_path / '.lab'
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings / 'settings'),
               JUPYTERLAB_WORKSPACES_DIR=str(settings / 'workspaces'),
               JUPYTER_RUNTIME_DIR=str(settings / 'runtime'))
    env.pop('MPLBACKEND', None)
    log = open(tmp_path / 'lab.log', 'w')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
         f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp_path}',
         '--ServerApp.port_retries=0']
        + (['--allow-root'] if os.geteuid() == 0 else []),
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f'http://127.0.0.1:{port}'
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.terminate()
                log.close()
                pytest.fail('JupyterLab did not start: '
                            + (tmp_path / 'lab.log').read_text()[-2000:])
            time.sleep(0.5)
    try:
        yield base, token, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_playground_in_jupyterlab(lab):
    executable = _browser()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing('playwright is not installed: run `make setup` (a test dependency)')
    base, token, folder = lab
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable,
                                    args=['--no-sandbox', '--disable-dev-shm-usage'])
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        try:
            page.goto(f'{base}/lab/tree/playground.ipynb?token={token}')
            page.locator('.jp-Notebook').first.wait_for(timeout=90_000)
            # Run > Run All Cells, once the kernel is up (the status bar says so;
            # a 'Select Kernel' dialog, if JupyterLab asks anyway, is accepted)
            page.locator('.jp-StatusBar-Widget', has_text='Idle').first.wait_for(timeout=120_000)
            page.locator('.lm-MenuBar-itemLabel', has_text='Run').first.click()
            page.locator('.lm-Menu-itemLabel:text-is("Run All Cells")').click()
            try:
                page.locator('.jp-Dialog .jp-mod-accept').click(timeout=3_000)
            except Exception:  # no dialog: the usual case
                pass
            panel = page.locator('.minilab-playground').first
            panel.wait_for(timeout=120_000)
            # drive a widget: 'basic' needs no teacher, so its controls grey out
            panel.locator('button', has_text='basic').first.click()
            teacher = panel.locator('.widget-dropdown', has_text='teacher size').locator('select')
            expect(teacher).to_be_disabled(timeout=10_000)
            panel.locator('button', has_text=re.compile(r'^\s*Run\s*$')).click()
            result = panel.locator('.minilab-result')
            expect(result).to_contain_text('test accuracy', timeout=120_000)
            expect(result).to_contain_text('saved WR-F4 (mini)')
            expect(panel.locator('.minilab-status')).to_contain_text('done: basic')
            curve = panel.locator('.minilab-curve')
            page.wait_for_function(
                'img => img.complete && img.naturalWidth > 100', arg=curve.element_handle(),
                timeout=30_000)
            # the headless run cell did not train: JupyterLab is a widget frontend
            expect(page.locator('.jp-OutputArea-output', has_text='use the panel above')
                   .first).to_be_visible()
            try:  # JupyterLab's 'official Jupyter news?' toast would cover the table
                page.locator('.jp-toast-button', has_text='No').click(timeout=2_000)
            except Exception:
                pass
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        except Exception:
            page.screenshot(path=str(SCREENSHOT.with_name('playground-failed.png')),
                            full_page=True)
            raise
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
