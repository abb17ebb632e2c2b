"""Notebook kernels that start in a fraction of a second: forks of one process
that has already imported what the notebooks import.

A notebook of `minilab reproduce` spends most of its time importing torch,
transformers, pandas and matplotlib (~5 s of CPU), not running its cells
(~1 s). A KernelServer does those imports once; each kernel is then a fork of
it: a new process, with its own state, that finds the modules already in
sys.modules.

    with kernel_managers(preload=['import pandas as pd']) as manager:
        pm.execute_notebook(..., kernel_manager_class=manager)

How a kernel starts. jupyter_client runs the kernelspec's command, here
`python -m ipykernel_launcher -f conn.json`, wrapped as

    python -m minilab.kernels attach SERVER_SOCKET -- python -m ipykernel_launcher -f conn.json

`attach` is a small client (standard library only, so it starts in ~50 ms):
it sends the command, its environment, working folder and stdin/stdout/stderr
to the server, which forks; the fork runs the command as `python -m` (or `-c`)
would. The client stays as the kernel's stand-in for jupyter_client: it
forwards signals (interrupt, terminate) to the kernel and exits with the
kernel's exit status; if the client is killed, the server kills the kernel.
A command the server cannot run (another python, not -m/-c) or a server that
is gone: the client runs the command itself, a normal kernel, only slower.

Kernels use IPC transport (unix sockets in a private temporary folder), not
TCP: nothing listens on a port, and ipykernel does not print its warning that
a TCP kernel runs without encryption. Forking needs Linux; elsewhere kernels
start normally (and on Windows, over TCP).
"""
import contextlib
import itertools
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

# forked kernels need fork and unix sockets passing fds: Linux. (macOS has
# both, but a fork of a process that has loaded Apple's frameworks, as torch
# does, can crash; Python's multiprocessing does not fork there either.)
# Elsewhere kernels start normally.
CAN_FORK = sys.platform.startswith('linux') and hasattr(socket, 'send_fds')

# signals jupyter_client sends the kernel process (interrupt, shutdown, ...),
# which the client passes on to the forked kernel
FORWARDED = [getattr(signal, s) for s in ('SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT',
                                          'SIGUSR1', 'SIGUSR2') if hasattr(signal, s)]


# -----------------------------------------------------------------------------
# the server

def _split(argv):
    """(python and its options, '-m' or '-c', module or code, args) for a
    `python [options] -m module args` or `-c code` command, else None."""
    for i, arg in enumerate(argv[1:-1], 1):
        if arg in ('-m', '-c'):
            return argv[:i], arg, argv[i + 1], argv[i + 2:]
        if not arg.startswith('-'):     # a script, or an option's value
            return None
    return None


def _runnable(argv):
    """argv split by _split if the server can run it as a fork of itself: the
    same python with the same options (-X ... changes how python starts)."""
    split, mine = _split(argv), _split(sys.orig_argv)
    if split is None or mine is None:
        return None
    same = [os.path.realpath(split[0][0]), *split[0][1:]] == \
        [os.path.realpath(mine[0][0]), *mine[0][1:]]
    return split if same else None


class _NotebookShell:
    """What get_ipython() looks like, to a library imported in a notebook cell:
    a shell with a kernel (pandas checks so, once, at import, and picks its
    display width for a notebook rather than a terminal)."""
    kernel = True
    config = {'IPKernelApp': {}}


def _preload(statements):
    """Run the import statements the notebooks start with, as a notebook cell
    would. One that fails is skipped: the notebook raises the error itself."""
    import builtins
    shell = _NotebookShell()
    builtins.get_ipython, builtins.__IPYTHON__ = (lambda: shell), True
    try:
        for statement in statements:
            try:
                exec(compile(statement, '<preload>', 'exec'), {})
            except Exception:
                pass
    finally:                            # the kernel sets up its own
        del builtins.get_ipython, builtins.__IPYTHON__


def _read_request(conn):
    """The client's stdio (3 fds) and its {'argv', 'cwd', 'env'}."""
    _, fds, _, _ = socket.recv_fds(conn, 1, 3)
    data = b''
    while not data.endswith(b'\n'):
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError('client went away')
        data += chunk
    return fds, json.loads(data)


def _become_kernel(request, fds, closing):
    """In the fork: close the server's sockets and take on the client's stdio,
    folder, environment and a session of its own (signals to the server's
    process group do not reach it)."""
    for sock in closing:
        sock.close()
    os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for sig in FORWARDED + [signal.SIGCHLD]:
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    if 'numpy' in sys.modules:          # as random does: no RNG state shared with siblings
        sys.modules['numpy'].random.seed()
    return request['argv']


def _send(conn, text):
    with contextlib.suppress(OSError):
        conn.sendall(text.encode() + b'\n')


def serve(path, statements=()):
    """Listen on the unix socket at path, import the statements, then fork a
    kernel per client. Returns only in a fork: the argv it has to run."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)                 # clients that come during the preload wait
    _preload(statements)
    parent = os.getppid()
    clients = {}                        # kernel pid -> its client's connection

    def stop(signum, frame):            # KernelServer.stop(): no kernel outlives us
        _kill(clients)
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(timeout=0.1):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    fds, request = _read_request(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                if _runnable(request['argv']) is None:
                    for fd in fds:
                        os.close(fd)
                    _send(conn, 'no')    # the client runs it itself
                    conn.close()
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    return _become_kernel(request, fds, [listener, conn, *clients.values()])
                for fd in fds:
                    os.close(fd)
                clients[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
                _send(conn, f'pid {pid}')
            else:                       # the client closed: killed, so kill its kernel
                _kill([key.data])
                selector.unregister(key.fileobj)
        _reap(clients, selector)
        if os.getppid() != parent:      # whoever started the server is gone
            stop(None, None)


def _kill(pids):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _reap(clients, selector):
    """Collect the kernels that exited and tell their clients the status."""
    while clients:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = clients.pop(pid, None)
        if conn is not None:
            _send(conn, f'exit {os.waitstatus_to_exitcode(status)}')
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(conn)
            conn.close()


def _run(argv):
    """Run argv (from _runnable) in this process, as `python -m`/`-c` would."""
    import runpy
    _, flag, target, args = _runnable(argv)
    if flag == '-m':
        sys.path[0] = os.getcwd()       # what `python -m` puts first
        sys.argv = [target, *args]
        runpy.run_module(target, run_name='__main__', alter_sys=True)
    else:
        sys.path[0] = ''                # and `python -c`
        sys.argv = ['-c', *args]
        exec(compile(target, '<string>', 'exec'), {'__name__': '__main__'})


# -----------------------------------------------------------------------------
# the client

def attach(path, argv):
    """Have the server at path run argv as a fork; wait for it, forwarding
    signals, and return its exit status. Without a server, or for a command
    it cannot run, exec argv here."""
    if not CAN_FORK:
        os.execv(argv[0], argv)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        os.execv(argv[0], argv)
    # forward signals from before the request on: the fork may run (and be
    # signalled by whoever watches its output) before its pid reaches us, so a
    # signal that comes first waits and goes to the fork once its pid is known
    kernel, pending = [], []

    def forward(signum, frame):
        if kernel:
            os.kill(kernel[0], signum)
        else:
            pending.append(signum)

    for sig in FORWARDED:
        signal.signal(sig, forward)
    request = {'argv': argv, 'cwd': os.getcwd(), 'env': dict(os.environ)}
    socket.send_fds(conn, [b'R'], [0, 1, 2])
    conn.sendall(json.dumps(request).encode() + b'\n')
    lines = conn.makefile('r')
    for line in lines:
        word, _, value = line.strip().partition(' ')
        if word == 'no':
            conn.close()
            for sig in FORWARDED:       # run here as if never asked: signals act as usual
                signal.signal(sig, signal.SIG_DFL)
            for sig in pending:
                os.kill(os.getpid(), sig)
            os.execv(argv[0], argv)
        if word == 'pid':
            kernel.append(int(value))
            for sig in pending:
                os.kill(kernel[0], sig)
            pending.clear()
        elif word == 'exit':
            code = int(value)
            return code if code >= 0 else 128 - code
    return 1                            # the server went away


# -----------------------------------------------------------------------------
# for nbclient / papermill

class KernelServer:
    """The server process; start() and stop(), or use it as a context manager."""

    def __init__(self, folder, preload=(), python=None, env=None, cwd=None):
        self.path = os.path.join(folder, 'server')
        self.preload = list(preload)
        self.python = list(python or [sys.executable])  # the kernels' python and options
        self.env, self.cwd = env or {}, cwd             # the kernelspec's env, their folder
        self.process = None

    def start(self):
        # the server imports as a kernel would: in the kernels' folder, with
        # the environment jupyter_client gives them (modules read some of it
        # once, at import: ipykernel the parent pid, the hub its offline
        # flag) and no terminal (a kernel's stdout is not a tty); kernels get
        # their client's stdout/stderr, so the server's own go nowhere
        cmd = [*self.python, '-m', 'minilab.kernels', 'serve', self.path, *self.preload]
        env = dict(os.environ, **self.env, JPY_PARENT_PID=str(os.getpid()))
        self.process = subprocess.Popen(
            cmd, env=env, cwd=self.cwd, start_new_session=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.path):    # bound before the preload
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'the kernel server did not start: {" ".join(cmd)}')
            time.sleep(0.02)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _manager_class(folder, server=None):
    """A jupyter_client KernelManager class: IPC transport with its sockets in
    folder and, with a server, kernels forked by it."""
    import zmq
    from jupyter_client.manager import AsyncKernelManager
    count = itertools.count(1)

    class MinilabKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if zmq.has('ipc'):          # not on Windows: TCP there
                self.transport = 'ipc'
                # short and private: unix socket paths are limited to ~100 bytes
                self.ip = os.path.join(folder, f'k{next(count)}')

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            if server is None:
                return cmd
            return [sys.executable, '-m', 'minilab.kernels', 'attach', server.path, '--', *cmd]

    return MinilabKernelManager


def kernel_command(kernel='python3'):
    """(python and its options, env) of a kernelspec `python [options] -m ...`,
    as jupyter_client would run it, or None for another kind of kernel."""
    from jupyter_client.kernelspec import KernelSpecManager
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except Exception:                   # no such kernel: each notebook says so
        return None
    argv = list(spec.argv)
    if argv and argv[0] in ('python', f'python{sys.version_info[0]}',
                            'python{}.{}'.format(*sys.version_info[:2])):
        argv[0] = sys.executable        # jupyter_client's own substitution
    split = _split(argv)
    return (split[0], dict(spec.env or {})) if split else None


@contextlib.contextmanager
def kernel_managers(preload=None, kernel='python3', cwd=None):
    """Yield the KernelManager class for nbclient's kernel_manager_class.

    preload: None, kernels start normally (~1 s plus their imports); a list of
    import statements, a server runs them once, in cwd (the kernels' folder),
    and forks every kernel from itself. Either way kernels use IPC transport.
    The server and the socket folder go away on exit.
    """
    with tempfile.TemporaryDirectory(prefix='minilab-') as folder:
        command = kernel_command(kernel) if preload is not None and CAN_FORK else None
        if command is None:
            yield _manager_class(folder)
            return
        python, env = command
        with KernelServer(folder, preload, python, env, cwd) as server:
            yield _manager_class(folder, server)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['serve']:
        kernel = serve(argv[1], argv[2:])
        _run(kernel)                    # only a fork gets here
    elif argv[:1] == ['attach'] and len(argv) > 3 and argv[2] == '--':
        return attach(argv[1], argv[3:])
    else:
        print('usage: python -m minilab.kernels serve SOCKET [IMPORT ...] | '
              'attach SOCKET -- COMMAND ...', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
