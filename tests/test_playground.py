"""The playground's logic without a browser: settings, runs with live rows and a
stop, the comparison with the saved runs, figures, and the ipywidgets panel
(built and clicked in Python; tests/test_browser.py drives it in JupyterLab)."""
import threading
import time

import numpy as np
import pytest

from minilab import paths
from minilab import playground as pg

# a few seconds per run: tiny data, the tiny teacher, a tiny MLM pre-training
TINY = dict(train_size=64, dev_size=32, test_size=32, transfer_size=96, pretrain_sentences=300,
            teacher_size='tiny', epochs=2, distill_epochs=2, batch_size=16)


# -----------------------------------------------------------------------------
# settings


def test_defaults_are_valid_and_describe_themselves():
    s = pg.Settings().validate()
    assert s.procedure == 'D' and s.distilled and not s.pretrained
    assert s.describe().startswith('D: L1_H32 student, teacher L2_H128 (quick), 1*soft_ce')
    assert pg.Settings(procedure='basic').describe() == 'basic: L1_H32 student, 2000 labeled reviews'
    assert pg.Settings(source='wr_f4').teacher_shape == (6, 192)


@pytest.mark.parametrize('changes, message', [
    (dict(procedure='KD'), "unknown procedure 'KD'; valid: basic, D, PF, PD, BiLSTM"),
    (dict(source='hub'), "unknown source 'hub'; valid: quick, wr_f4"),
    (dict(distill_loss='mse'), "unknown distill_loss 'mse'; valid: soft_ce, kl, logit_mse, hard"),
    (dict(transfer_domain='cars'), "unknown transfer_domain 'cars'; valid: movies, books,"),
    (dict(student_size='huge'), "student_size: unknown model size 'huge'; valid: tiny, mini"),
    (dict(temperature=0), 'temperature must be a number > 0, got 0'),
    (dict(alpha_hard=-1.0), 'alpha_hard must be a number >= 0, got -1.0'),
    (dict(transfer_size=0), 'transfer_size must be an integer >= 1, got 0'),
    (dict(epochs=2.5), 'epochs must be an integer >= 1, got 2.5'),
    (dict(alpha_soft=0.0), 'alpha_soft, alpha_hard and alpha_cos are all 0'),
    (dict(alpha_cos=1.0), 'alpha_cos needs the student as wide as the teacher'),
    (dict(procedure='PF', pretrain_sentences=0), 'procedure PF needs a pre-trained student'),
])
def test_bad_settings_give_one_line_errors(changes, message):
    with pytest.raises(pg.SettingsError) as err:
        pg.Settings(**changes).validate()
    assert message in str(err.value) and '\n' not in str(err.value)


def test_from_dict_names_the_valid_keys_and_replace_validates():
    with pytest.raises(pg.SettingsError, match="unknown setting 'temp'; valid: procedure, "):
        pg.Settings.from_dict({'temp': 2.0})
    s = pg.Settings().replace(temperature=2.0)
    assert s.temperature == 2.0 and pg.Settings.from_dict(s.to_dict()) == s
    with pytest.raises(pg.SettingsError):
        s.replace(procedure='nope')
    # cos is fine for a student as wide as the teacher, and for the BiLSTM
    pg.Settings(alpha_cos=1.0, student_size='small').validate()
    pg.Settings(alpha_cos=1.0, procedure='BiLSTM').validate()
    # the non-distilled procedures ignore the loss weights
    pg.Settings(procedure='basic', alpha_soft=0.0).validate()


def test_hinton_alpha():
    assert pg.hinton_alpha(0.7) == {'alpha_soft': 0.7, 'alpha_hard': 0.3}
    with pytest.raises(pg.SettingsError, match=r'alpha must be in \[0, 1\]'):
        pg.hinton_alpha(1.5)


# -----------------------------------------------------------------------------
# runs


@pytest.mark.slow
def test_run_reports_rows_and_stops_on_request():
    rows = []
    result = pg.run(pg.Settings(procedure='basic', **TINY), on_row=rows.append, log=lambda m: None)
    assert rows == result['history'] and len(rows) == 2 * 2  # 2 epochs of 4 steps, 2 evaluations each
    assert rows[0]['stage'] == 'train' and 'dev_accuracy' in rows[0] and 'train_ce' in rows[0]
    assert 0 <= result['test_accuracy'] <= 100 and not result['stopped']
    assert result['teacher_test_accuracy'] is None

    stopped = pg.run(pg.Settings(procedure='basic', **TINY), log=lambda m: None,
                     should_stop=lambda: True)
    assert stopped['stopped'] and len(stopped['history']) == 1
    assert stopped['steps'] == stopped['history'][0]['step'] == 2  # the first evaluation


@pytest.mark.slow
def test_distilled_runs_with_every_term_and_fine_tuning(monkeypatch, tmp_path):
    # a cache of its own: another test (the browser's, the tour's) may already
    # have trained this quick teacher in the session's cache
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    messages = []
    s = pg.Settings(procedure='D', student_size='tiny', alpha_soft=1.0, alpha_hard=0.5,
                    alpha_cos=1.0, finetune_epochs=1, **TINY)
    result = pg.run(s, log=messages.append)
    stages = [row['stage'] for row in result['history']]
    assert stages[0] == 'distill' and stages[-1] == 'finetune'
    steps = [row['step'] for row in result['history']]
    assert steps == sorted(steps)  # fine-tuning continues the step count
    first = result['history'][0]
    assert first['train_soft'] > 0 and first['train_hard'] > 0 and first['train_cos'] > 0
    assert result['teacher_test_accuracy'] is not None
    assert any('fine-tuning the quick teacher' in m for m in messages)
    # the teacher is cached: a second run does not train it again
    messages.clear()
    bilstm = pg.run(s.replace(procedure='BiLSTM', finetune_epochs=0), log=messages.append)
    assert not any('fine-tuning the quick teacher' in m for m in messages)
    assert bilstm['history'][0]['train_cos'] > 0  # the BiLSTM's representation vs [CLS]


@pytest.mark.slow
def test_pretrained_procedures_use_a_cached_mlm_model():
    messages = []  # L1_H16: no other test pre-trains this size
    pf = pg.run(pg.Settings(procedure='PF', student_size='L1_H16', **TINY), log=messages.append)
    assert any('pre-training a L1_H16 BERT' in m for m in messages)
    messages.clear()
    pd = pg.run(pg.Settings(procedure='PD', student_size='L1_H16', **TINY), log=messages.append)
    assert not any('pre-training a L1_H16' in m for m in messages)
    assert pf['history'] and pd['history']


def test_compare_puts_a_run_next_to_the_saved_wr_f4_runs():
    fake = {'settings': pg.Settings(procedure='D').to_dict(), 'description': 'D: a run',
            'test_accuracy': 64.0, 'teacher_test_accuracy': 71.0, 'teacher': 'quick teacher',
            'stopped': False}
    table = pg.compare(fake)
    mine = table[table['source'] == 'this session']
    assert list(mine['procedure']) == ['teacher', 'D'] and mine['test_accuracy'].iloc[1] == 64.0
    saved = table[table['source'] == 'saved WR-F4 (mini)']
    # the saved mini runs are committed: every procedure at L1_H32, 3 seeds, and the teacher
    assert set(saved['procedure']) == {'teacher', 'basic', 'D', 'PF', 'PD'}
    assert (saved[saved['procedure'] != 'teacher']['runs'] == 3).all()
    mean, std = pg.saved_reference(pg.Settings(procedure='D'))
    assert mean == pytest.approx(saved.set_index('procedure').loc['D', 'test_accuracy'], abs=0.01)
    assert pg.saved_reference(pg.Settings(procedure='BiLSTM')) is None


# -----------------------------------------------------------------------------
# figures


def test_temperature_softens_the_distribution():
    p1, p5 = pg.softmax(pg.EXAMPLE_LOGITS, 1), pg.softmax(pg.EXAMPLE_LOGITS, 5)
    assert np.allclose(p1.sum(), 1) and np.allclose(p5.sum(), 1)
    assert p5.max() < p1.max() and p5.min() > p1.min()
    # the ranking of the wrong classes ("dark knowledge") is kept
    assert list(np.argsort(p1)) == list(np.argsort(p5))
    fig = pg.temperature_figure(temperatures=[1, 2, 5])
    assert len(fig.axes[0].patches) == 3 * len(pg.EXAMPLE_LOGITS)
    assert pg.figure_png(fig)[:8] == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(ValueError, match='2 labels for 3 logits'):
        pg.temperature_figure([1, 2, 3], labels=['a', 'b'])


def test_curve_figure_draws_losses_accuracy_teacher_and_saved_band():
    rows = [{'step': i, 'train_ce': 1.0 / i, 'train_loss': 1.0 / i, 'dev_accuracy': 50.0 + i}
            for i in range(1, 5)]
    fig = pg.curve_figure({'basic': rows, 'D': rows}, teacher_accuracy=70.0, reference=(65.0, 1.0))
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 3  # 2 curves + the teacher line
    assert any('saved runs' in t.get_text() for t in acc_ax.get_legend().get_texts())
    pg.figure_png(pg.curve_figure([]))  # an empty run draws an empty figure


def test_live_plot_prints_outside_ipython(capsys):
    live = pg.LivePlot('tour')
    live.callback('basic')({'step': 3, 'dev_accuracy': 61.5})
    assert 'basic: step 3 dev accuracy 61.5' in capsys.readouterr().out
    assert live.curves['basic'][0]['step'] == 3


def test_in_jupyter_frontend(monkeypatch):
    monkeypatch.delenv('JPY_SESSION_NAME', raising=False)
    assert not pg.in_jupyter_frontend()
    monkeypatch.setenv('JPY_SESSION_NAME', '/work/notebooks/playground.ipynb')
    assert pg.in_jupyter_frontend()


# -----------------------------------------------------------------------------
# the widgets, without a browser


def fake_runner(s, on_row, should_stop, log):
    """Stands in for run(): a few rows, then waits for Stop if max_steps is 99."""
    history = []
    for step in range(1, 4):
        row = {'step': step, 'train_soft': 1.0 / step, 'train_loss': 1.0 / step,
               'dev_accuracy': 60.0 + step, 'stage': 'distill'}
        history.append(row)
        on_row(row)
    deadline = time.time() + 10
    while s.max_steps == 99 and not should_stop() and time.time() < deadline:
        time.sleep(0.01)
    return {'settings': s.to_dict(), 'description': s.describe(), 'history': history,
            'test_accuracy': 63.0, 'teacher_test_accuracy': 70.0, 'teacher': 'fake teacher',
            'stopped': should_stop(), 'steps': 3, 'seconds': 0.1, 'best_dev': None}


def test_panel_controls_read_and_set_settings():
    ui = pg.Playground(pg.Settings(**TINY), runner=fake_runner)
    s = ui.settings()
    assert s == pg.Settings(**TINY)  # controls + hidden settings round-trip
    ui.set(procedure='basic')
    assert ui.controls['teacher_size'].disabled and ui.controls['temperature'].disabled
    assert not ui.controls['epochs'].disabled
    ui.set(procedure='D', source='wr_f4')
    assert ui.controls['teacher_size'].disabled and not ui.controls['temperature'].disabled
    ui.set(source='quick')
    ui.alpha.value = 0.25  # Hinton's alpha drives the first two of DistilBERT's alphas
    assert (ui.controls['alpha_soft'].value, ui.controls['alpha_hard'].value) == (0.25, 0.75)
    ui.distilbert_button.click()
    s = ui.settings()
    assert (s.alpha_soft, s.alpha_hard, s.alpha_cos, s.temperature) == (5.0, 2.0, 1.0, 2.0)
    assert s.distill_loss == 'kl' and s.student_shape == s.teacher_shape  # cos needs equal width
    with pytest.raises(pg.SettingsError, match="unknown setting 'colour'"):
        ui.set(colour='red')
    before = ui.temperature_image.value
    ui.temperature_slider.value = 5.0
    assert ui.temperature_image.value != before and before[:4] == b'\x89PNG'


def test_panel_shows_errors_without_running():
    ui = pg.Playground(pg.Settings(**TINY), runner=fake_runner)
    ui.set(alpha_soft=0.0, alpha_hard=0.0, alpha_cos=0.0)
    ui.run_button.click()
    assert ui._thread is None and 'all 0' in ui.status.value


def test_panel_run_draws_the_curve_and_the_comparison():
    ui = pg.Playground(pg.Settings(**TINY), runner=fake_runner)
    ui.run_button.click()
    result = ui.wait(10)
    assert result['test_accuracy'] == 63.0
    assert ui.curve.value[:4] == b'\x89PNG'
    assert 'test accuracy 63.0' in ui.result.value and 'saved WR-F4 (mini)' in ui.result.value
    assert ui.status.value.startswith('done') and not ui.run_button.disabled
    assert ui.stop_button.disabled


def test_panel_stop_button_ends_the_run():
    ui = pg.Playground(pg.Settings(**TINY), runner=fake_runner)
    ui.set(max_steps=99)  # the fake runner then waits for Stop
    ui.run_button.click()
    deadline = time.time() + 10
    while len(ui._rows) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert ui.run_button.disabled and not ui.stop_button.disabled
    ui.run_button.click()  # a second Run while one is running does nothing
    ui.stop_button.click()
    result = ui.wait(10)
    assert result['stopped'] and 'stopped early' in ui.result.value


def test_panel_reports_a_failed_run():
    def broken(s, on_row, should_stop, log):
        raise RuntimeError('out of memory')
    ui = pg.Playground(pg.Settings(**TINY), runner=broken)
    ui.run_button.click()
    ui.wait(10)
    assert 'failed: RuntimeError: out of memory' in ui.status.value and not ui.run_button.disabled


@pytest.mark.slow
def test_panel_trains_for_real():
    ui = pg.Playground(pg.Settings(procedure='basic', **TINY))
    ui.run_button.click()
    result = ui.wait(120)
    assert result is not None and len(result['history']) == 4
    assert threading.active_count() >= 1 and ui.curve.value[:4] == b'\x89PNG'
