"""The playground: one distillation run, set with a few knobs, watched as it trains.

    s = playground.Settings(procedure='D', student_size='tiny', temperature=2.0)
    result = playground.run(s, on_row=print)   # headless, as papermill runs it
    playground.compare(result)                 # next to the saved WR-F4 runs
    playground.Playground(s).show()            # the ipywidgets panel (JupyterLab)

A view: the panel, live curves and the comparison with the saved runs, over
`minilab.live` (the run: settings, wr_main's stages, `objectives.compose`,
`train.fit` with a row callback) and `minilab.plots` (the figures).
"""
import os
import threading
from functools import lru_cache

from minilab import experiments, models, world
from minilab.live import (DISTILL_LOSSES, DISTILLED, PROCEDURES, RUNS_LOCK, SOURCES, STORE,
                          Settings, SettingsError, Teacher, as_settings, hinton_alpha, plan_for,
                          probabilities, run, teacher_for)
from minilab.plots import (EXAMPLE_LOGITS, LivePlot, curve_figure, figure_png, softmax,
                           temperature_figure)

# the names the notebooks (playground, 00_tour) use; most come from live and plots
__all__ = ['DISTILBERT_ALPHAS', 'EXAMPLE_LOGITS', 'PROCEDURES', 'SOURCES', 'STORE', 'LivePlot',
           'Playground', 'Settings', 'SettingsError', 'Teacher', 'compare', 'curve_figure',
           'figure_png', 'hinton_alpha', 'in_jupyter_frontend', 'plan_for', 'probabilities', 'run',
           'saved_reference', 'saved_runs', 'softmax', 'teacher_for', 'temperature_figure']
DISTILBERT_ALPHAS = (5.0, 2.0, 1.0)             # alpha_ce, alpha_mlm, alpha_cos (Sanh et al.)
SIZE_CHOICES = ('tiny', 'mini', 'small', 'medium', 'base')


# -----------------------------------------------------------------------------
# comparison with the saved runs

SAVED = (  # experiment, kind of stage, source, what
    ('wr_main', 'student', 'saved WR-F4 (mini)', 'Turc et al. 2019 Fig. 4, results/runs/turc2019'),
    ('wr_main', 'teacher', 'saved WR-F4 (mini)', 'the WR-F4 teacher (L6_H192, MLM pre-trained)'),
    ('mh_main', 'bilstm', 'saved MH-T2 (mini)', 'Mukherjee & Awadallah 2020 Table 2'))
COLUMNS = ['source', 'procedure', 'size', 'test_accuracy', 'std', 'runs', 'what']


@lru_cache(maxsize=1)
def saved_runs():
    """The saved runs of SAVED, one row a run: source, procedure ('teacher' for a
    teacher), size ('' for a teacher; 'BiLSTM'), test_accuracy, what."""
    import pandas as pd
    frames, columns = [], ['source', 'procedure', 'size', 'test_accuracy', 'what']
    with RUNS_LOCK:  # results/runs, not the playground's store
        for name, kind, source, what in SAVED:
            df = experiments.results(name, 'mini', kind=kind)
            if len(df) and kind == 'bilstm':
                df = df[df['task'] == 'world/sentiment'].assign(size='BiLSTM')
            if len(df):
                df = df.assign(procedure='teacher', size='') if kind == 'teacher' else df
                frames.append(df.assign(source=source, what=what)[columns])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def compare(*results):
    """This session's runs (in run order, then their teachers), then the saved runs
    of the same sizes, mean, std and count of test accuracy over seeds: WR-F4's
    every procedure and teacher, MH-T2's BiLSTM students for a BiLSTM run."""
    import pandas as pd
    mine, teachers = [], {}
    for r in results:
        s = Settings.from_dict(r['settings'])
        size = 'BiLSTM' if s.procedure == 'BiLSTM' else models.size_name(*s.student_shape)
        mine.append(dict(source='this session', procedure=s.procedure, size=size, runs=1,
                         test_accuracy=round(r['test_accuracy'], 2),
                         what=r['description'] + (' (stopped early)' if r['stopped'] else '')))
        if r.get('teacher_test_accuracy') is not None:
            teachers[r['teacher']] = dict(source='this session', procedure='teacher', size='',
                                          test_accuracy=round(r['teacher_test_accuracy'], 2),
                                          runs=1, what=r['teacher'])
    saved = saved_runs()
    saved = saved[saved['size'].isin([''] + [row['size'] for row in mine])]
    order = saved['procedure'].map({p: i for i, p in enumerate(('teacher',) + PROCEDURES)})
    rank = saved['source'].map({source: i for i, (_, _, source, _) in enumerate(SAVED)})
    saved = saved.assign(rank=rank, order=order.fillna(len(PROCEDURES) + 1))
    saved = saved.sort_values(['rank', 'size', 'order'])
    summary = saved.groupby(['source', 'procedure', 'size', 'what'], sort=False)['test_accuracy']
    summary = summary.agg(test_accuracy='mean', std='std', runs='count').round(2).reset_index()
    return pd.concat([pd.DataFrame(mine + list(teachers.values()), columns=COLUMNS),
                      summary[COLUMNS]], ignore_index=True)


def saved_reference(settings):
    """(mean, std) test accuracy of the saved WR-F4 runs of this size and procedure,
    or None: the band drawn behind a live curve."""
    s, saved = as_settings(settings), saved_runs()
    part = saved[(saved['source'] == SAVED[0][2]) & (saved['procedure'] == s.procedure)
                 & (saved['size'] == models.size_name(*s.student_shape))]['test_accuracy']
    return (float(part.mean()), float(part.std()) if len(part) > 1 else 0.0) if len(part) else None


# -----------------------------------------------------------------------------
# the widgets


def in_jupyter_frontend():
    """True in a kernel started by a Jupyter server (JupyterLab, Notebook):
    jupyter_server sets JPY_SESSION_NAME for it; papermill and nbclient don't."""
    return bool(os.environ.get('JPY_SESSION_NAME'))


class Playground:
    """The ipywidgets panel: `Playground(settings).widget`; `show()` displays it.
    Training runs in a background thread, so the Stop button (and JupyterLab)
    stays responsive; the curve and the result are widget values (a PNG, HTML)
    set from that thread.

    For tests: `set(**values)`, `settings()`, `run_button.click()`, `wait()`."""

    TEACHER_CONTROLS = ('teacher_size', 'source', 'distill_loss', 'temperature', 'alpha_soft',
                        'alpha_hard', 'alpha_cos', 'transfer_size', 'transfer_domain',
                        'distill_epochs', 'finetune_epochs')

    def __init__(self, settings=None, runner=None):
        import ipywidgets as W
        s, self.runner = as_settings(settings), runner or run
        self.results, self._thread, self._stop = [], None, threading.Event()
        self._rows, self._teacher, self._reference = [], None, None
        box = dict(style={'description_width': '120px'}, layout=W.Layout(width='340px'))
        sizes = list(SIZE_CHOICES) + [models.size_name(*shape) for shape in models.size_grid()]
        alpha = (W.BoundedFloatText, dict(min=0, max=100, step=0.1))
        self.controls = c = {'procedure': W.ToggleButtons(
            options=PROCEDURES, value=s.procedure, description='procedure',
            style={'button_width': '76px'},
            tooltips=['random student, labels', 'random student, teacher outputs',
                      'pre-trained student, labels', 'pre-trained student, teacher outputs',
                      'BiLSTM student, teacher outputs'])}
        student_sizes, teacher_sizes = _with(sizes, s.student_size), _with(sizes, s.teacher_size)
        left = {  # name: description, (widget, its options)
            'student_size': ('student size', (W.Dropdown, dict(options=student_sizes))),
            'teacher_size': ('teacher size', (W.Dropdown, dict(options=teacher_sizes))),
            'source': ('teacher from', (W.Dropdown, dict(options=list(SOURCES)))),
            'transfer_size': ('transfer size', (W.IntSlider, dict(
                min=min(100, s.transfer_size), max=max(20000, s.transfer_size), step=100))),
            'transfer_domain': ('transfer domain', (W.Dropdown, dict(options=world.DOMAIN_ORDER))),
            'epochs': ('labeled epochs', (W.IntSlider, dict(min=1, max=30))),
            'distill_epochs': ('transfer epochs', (W.IntSlider, dict(min=1, max=20))),
            'finetune_epochs': ('then fine-tune', (W.IntSlider, dict(min=0, max=10))),
            'max_steps': ('max steps', (W.BoundedIntText, dict(min=0, max=100000,
                                                               tooltip='0: no limit')))}
        right = {'distill_loss': ('soft term', (W.Dropdown, dict(options=DISTILL_LOSSES))),
                 'temperature': ('temperature T', (W.FloatSlider, dict(min=0.5, max=10, step=0.5))),
                 'alpha_soft': ('α soft (ce)', alpha), 'alpha_hard': ('α hard (mlm)', alpha),
                 'alpha_cos': ('α cos', alpha)}
        for name, (desc, (cls, options)) in {**left, **right}.items():
            c[name] = cls(value=getattr(s, name), description=desc, **box, **options)
        self._hidden = {k: v for k, v in s.to_dict().items() if k not in c}
        self.alpha = W.FloatSlider(value=min(1.0, s.alpha_soft), min=0, max=1, step=0.05,
                                   description='Hinton α', **box,
                                   tooltip='alpha on the soft targets, 1 - alpha on the labels')
        self.alpha.observe(lambda change: self.set(**hinton_alpha(change['new'])), names='value')
        self.distilbert_button = W.Button(description='DistilBERT 5 / 2 / 1, T = 2',
                                          layout=W.Layout(width='220px'))
        self.run_button = W.Button(description='Run', button_style='success', icon='play')
        self.stop_button = W.Button(description='Stop', button_style='danger', icon='stop',
                                    disabled=True)
        self.distilbert_button.on_click(self._on_distilbert)
        self.run_button.on_click(self._on_run)
        self.stop_button.on_click(self._on_stop)
        self.status = W.HTML(value='<i>choose settings, then press Run</i>')
        # the curve is hidden until the first row arrives (an empty image shows as broken)
        self.curve = W.Image(format='png', layout=W.Layout(width='760px', display='none'))
        self.result = W.HTML(value='')
        for widget, name in ((self.status, 'status'), (self.curve, 'curve'),
                             (self.result, 'result')):
            widget.add_class(f'minilab-{name}')
        self.temperature_slider = W.FloatSlider(value=2.0, min=0.5, max=10, step=0.5,
                                                description='T', layout=W.Layout(width='300px'))
        self.temperature_image = W.Image(format='png', layout=W.Layout(width='420px'))
        self.temperature_slider.observe(lambda change: self._draw_temperature(), names='value')
        self._draw_temperature()
        for name in ('procedure', 'source'):
            c[name].observe(lambda change: self._sync_enabled(), names='value')
        self._sync_enabled()
        self.widget = W.VBox([
            c['procedure'],
            W.HBox([W.VBox([c[k] for k in left]),
                    W.VBox([c['distill_loss'], c['temperature'], self.alpha,
                            W.HTML("<small>DistilBERT's three alphas (task level):</small>"),
                            c['alpha_soft'], c['alpha_hard'], c['alpha_cos'],
                            self.distilbert_button])]),
            W.HBox([self.run_button, self.stop_button, self.status]), self.curve, self.result,
            W.VBox([W.HTML('<b>How temperature softens a teacher</b>: softmax(z / T) for T = 1 '
                           'and the T of the slider'),
                    self.temperature_slider, self.temperature_image])])
        self.widget.add_class('minilab-playground')

    # --- reading and setting the controls -----------------------------------

    def settings(self):
        values = dict(self._hidden, **{k: w.value for k, w in self.controls.items()})
        return Settings.from_dict(values)

    def set(self, **values):
        for k, v in values.items():
            if k in self.controls:
                self.controls[k].value = v
            elif k in self._hidden:
                self._hidden[k] = v
            else:
                Settings.from_dict({k: v})  # raises the one-line error
        return self

    def _on_distilbert(self, _button=None):
        ce, mlm, cos = DISTILBERT_ALPHAS
        self.set(alpha_soft=ce, alpha_hard=mlm, alpha_cos=cos, distill_loss='kl', temperature=2.0)
        if self.controls['procedure'].value != 'BiLSTM':  # cos needs the teacher's width
            size = models.size_name(*self.settings().teacher_shape)
            student = self.controls['student_size']
            student.options = _with(student.options, size)
            student.value = size

    def _sync_enabled(self):
        c, procedure = self.controls, self.controls['procedure'].value
        distilled = procedure in DISTILLED
        for k in self.TEACHER_CONTROLS:
            c[k].disabled = not distilled
        self.alpha.disabled = self.distilbert_button.disabled = not distilled
        c['epochs'].disabled, c['student_size'].disabled = distilled, procedure == 'BiLSTM'
        c['teacher_size'].disabled |= c['source'].value == 'wr_f4'

    def _draw_temperature(self):
        temperatures = sorted({1.0, self.temperature_slider.value})
        self.temperature_image.value = figure_png(temperature_figure(temperatures=temperatures))

    # --- running -------------------------------------------------------------

    def _on_run(self, _button=None):
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            s = self.settings()
        except SettingsError as err:
            self.status.value = f'<span style="color:#D55E00">{_html(err)}</span>'
            return
        self._stop.clear()
        self._rows, self._teacher, self._reference = [], None, saved_reference(s)
        self.run_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f'<b>running</b>: {_html(s.describe())}'
        self._thread = threading.Thread(target=self._train, args=(s,), daemon=True)
        self._thread.start()

    def _on_stop(self, _button=None):
        self._stop.set()
        self.status.value = '<b>stopping</b> after the current evaluation...'

    def _on_row(self, row):
        self._rows.append(row)
        self._draw_curve()
        acc = row.get('dev_accuracy')
        self.status.value = (f'<b>running</b>: step {row["step"]} ({row.get("stage", "")}), '
                             + (f'dev accuracy {acc:.1f}' if acc is not None else ''))

    def _draw_curve(self):
        self.curve.value = figure_png(curve_figure(self._rows, self._teacher, self._reference))
        self.curve.layout.display = None

    def _log(self, message):
        self.status.value = _html(message)

    def _train(self, s):
        try:
            r = self.runner(s, on_row=self._on_row, should_stop=self._stop.is_set, log=self._log)
            self._teacher = r.get('teacher_test_accuracy')
            self._rows = r['history'] or self._rows
            self._draw_curve()
            self.results.append(r)
            table = compare(*self.results).to_html(index=False, na_rep='',
                                                   float_format='{:.1f}'.format)
            self.result.value = (f'<b>test accuracy {r["test_accuracy"]:.1f}</b> '
                                 f'({r["steps"]} steps, {r["seconds"]:.0f} s'
                                 f'{", stopped early" if r["stopped"] else ""})' + table)
            self.status.value = 'done: ' + _html(r['description'])
        except Exception as err:  # shown in the panel: a thread's traceback would vanish
            self.error = err
            self.status.value = (f'<span style="color:#D55E00">failed: {type(err).__name__}: '
                                 f'{_html(err)}</span>')
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    def wait(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
        return self.results[-1] if self.results else None

    def show(self):
        from IPython.display import display
        display(self.widget)
        return self


def _html(text):
    import html
    return html.escape(str(text))


def _with(options, value):
    return list(options) if value in options else list(options) + [value]
