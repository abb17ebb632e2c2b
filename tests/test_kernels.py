"""The kernel server (minilab.kernels): commands forked from a process that
has already run some imports. Plain `python -c` commands stand in for
kernels; a real kernel runs in tests/test_notebooks_runner.py."""
import os
import subprocess
import sys
import time

import pytest

from minilab import kernels

pytestmark = pytest.mark.skipif(not kernels.CAN_FORK, reason='forked kernels: Linux only')


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    with kernels.KernelServer(str(tmp_path_factory.mktemp('server')), ['import decimal']) as s:
        yield s


def attach(server, code, **kwargs):
    """Popen of the client running `python -c code` through the server."""
    cmd = [sys.executable, '-m', 'minilab.kernels', 'attach', server.path, '--',
           sys.executable, '-c', code]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def test_split():
    assert kernels._split(['py', '-X', 'f', '-m', 'mod', '-f', 'c.json']) is None  # -X's value
    assert kernels._split(['py', '-Xfrozen_modules=off', '-m', 'mod', '-f', 'c.json']) == (
        ['py', '-Xfrozen_modules=off'], '-m', 'mod', ['-f', 'c.json'])
    assert kernels._split(['py', '-c', 'pass']) == (['py'], '-c', 'pass', [])
    assert kernels._split(['py', 'script.py']) is None
    assert kernels._split(['py', '-m']) is None


def test_kernel_command():
    python, env = kernels.kernel_command('python3')     # python [options] -m ipykernel_launcher
    assert os.path.realpath(python[0]) == os.path.realpath(sys.executable)
    assert isinstance(env, dict)
    assert kernels.kernel_command('no-such-kernel') is None   # each notebook reports it


def test_fork_gets_the_clients_folder_env_stdio_and_exit_status(server, tmp_path):
    code = ('import os, sys; print("decimal" in sys.modules, os.getcwd(), os.environ["WHO"]); '
            'print("to stderr", file=sys.stderr); sys.exit(3)')
    client = attach(server, code, cwd=tmp_path, env=dict(os.environ, WHO='me'))
    out, err = client.communicate(timeout=30)
    assert (client.returncode, out, err) == (3, f'True {tmp_path} me\n', 'to stderr\n')


def test_a_command_the_server_cannot_fork_runs_on_its_own(server, tmp_path):
    # other interpreter options (-S here): the client runs the command itself
    cmd = [sys.executable, '-m', 'minilab.kernels', 'attach', server.path, '--',
           sys.executable, '-S', '-c', 'import sys; print("decimal" in sys.modules); sys.exit(4)']
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (4, 'False\n')
    # no server at all: the same
    cmd[4] = str(tmp_path / 'no-server')
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (4, 'False\n')


def test_signals_reach_the_fork_and_a_killed_client_takes_it_along(server):
    code = ('import os, signal, sys, time\n'
            'signal.signal(signal.SIGTERM, lambda *a: sys.exit(7))\n'
            'print(os.getpid(), flush=True)\n'
            'time.sleep(60)\n')
    client = attach(server, code)
    int(client.stdout.readline())
    client.terminate()                          # SIGTERM to the client
    assert client.wait(30) == 7

    client = attach(server, code)
    pid = int(client.stdout.readline())
    client.kill()                               # SIGKILL: nothing to forward
    client.wait(30)
    assert _gone(pid)


def _gone(pid, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_preloaded_imports_see_a_notebook(tmp_path):
    # pandas chooses its display width at import, by whether get_ipython() has
    # a kernel: as in a notebook cell, not as in a terminal
    with kernels.KernelServer(str(tmp_path), ['import pandas']) as s:
        client = attach(s, 'import pandas, sys; print("pandas" in sys.modules, '
                           'pandas.get_option("display.max_columns"))')
        out, _ = client.communicate(timeout=60)
    assert out == 'True 20\n'


def test_stopping_the_server_stops_its_forks(tmp_path):
    with kernels.KernelServer(str(tmp_path)) as s:
        client = attach(s, 'import os, time; print(os.getpid(), flush=True); time.sleep(60)')
        pid = int(client.stdout.readline())
    assert client.wait(30) != 0
    assert _gone(pid)
