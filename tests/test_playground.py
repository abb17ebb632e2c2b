"""The playground's logic without a browser: settings, the stages a run builds on
(wr_main's quick preset, records in the playground's own store), runs with live
rows and a stop, the loss as `objectives.compose` of the user's weights, the
comparison with the saved runs, figures, and the ipywidgets panel (built and
clicked in Python; tests/test_browser.py drives it in JupyterLab)."""
import threading
import time

import numpy as np
import pytest

from minilab import experiments, paths, plots, runs
from minilab import playground as pg

# a few seconds per run: tiny data, the tiny teacher, a tiny MLM pre-training
TINY = dict(train_size=64, dev_size=32, test_size=32, transfer_size=96, pretrain_sentences=300,
            teacher_size='tiny', epochs=2, distill_epochs=2, batch_size=16)


def quiet(message):
    pass


# -----------------------------------------------------------------------------
# settings


def test_defaults_are_valid_and_describe_themselves():
    s = pg.Settings().validate()
    assert s.procedure == 'D' and s.distilled and not s.pretrained
    assert s.describe().startswith('D: L1_H32 student, teacher L2_H128 (quick), 1*soft_ce, T=1')
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
    (dict(seed=True), 'seed must be an integer >= 0, got True'),
    (dict(max_steps=-1), 'max_steps must be an integer >= 0, got -1'),
    (dict(alpha_soft=0.0), 'alpha_soft, alpha_hard and alpha_cos are all 0'),
    (dict(alpha_cos=1.0), 'alpha_cos needs the student as wide as the teacher'),
    (dict(pretrain_sentences=0), 'pretrain_sentences must be an integer >= 1, got 0'),
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


def test_the_loss_is_named_terms_of_objectives_compose():
    assert pg.Settings(procedure='basic', alpha_cos=3.0).loss_weights() == {'ce': 1.0}
    s = pg.Settings(distill_loss='kl', alpha_soft=5.0, alpha_hard=2.0, alpha_cos=1.0,
                    student_size='small')
    assert s.loss_weights() == {'kl': 5.0, 'ce': 2.0, 'cos': 1.0}  # DistilBERT's three terms
    bilstm = pg.Settings(procedure='BiLSTM', distill_loss='hard', alpha_soft=1.0, alpha_cos=0.5)
    assert bilstm.loss_weights() == {'hard': 1.0, 'rep_cos': 0.5}  # vs the teacher's [CLS]
    assert '5*kl + 2*ce + 1*cos' in s.describe()


# -----------------------------------------------------------------------------
# the stages under a run


def test_the_teacher_and_pre_training_are_wr_main_stages():
    s = pg.Settings(student_size='mini', teacher_size='small', train_size=500, pretrain_sentences=900)
    plan, ids = pg.plan_for(s)
    quick = experiments.build_plan('wr_main', 'quick', sizes=['mini'], seeds=[0], procedures=['PD'],
                                   teacher_size='small', corpus_size=900, train_size=500)
    assert plan.configs == quick.configs and plan.paper == 'turc2019'
    teacher = plan.configs[ids['teacher']]
    assert teacher['kind'] == 'teacher' and teacher['train_size'] == 500
    assert plan.configs[teacher['init']]['corpus_size'] == 900  # the teacher's MLM pre-training
    pretrain = plan.configs[ids['pretrain']]
    assert (pretrain['kind'], pretrain['size'], pretrain['epochs']) == ('pretrain', 'L2_H64', 4)
    # source wr_f4: the saved WR-F4 runs' own stages (committed records, same ids)
    plan, ids = pg.plan_for(pg.Settings(source='wr_f4', student_size='tiny'))
    assert runs.is_done('turc2019', ids['teacher']) and runs.is_done('turc2019', ids['pretrain'])
    assert plan.configs[ids['teacher']]['size'] == 'base'


@pytest.mark.slow
def test_stages_are_built_once_and_recorded_outside_results(monkeypatch, tmp_path):
    # a cache of its own: another test (the browser's, the tour's) may already
    # have built these stages in the session's cache
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    before = sorted(p for p in paths.RESULTS.rglob('*') if p.is_file())
    messages, rows = [], []
    teacher = pg.teacher_for(pg.Settings(**TINY), log=messages.append, on_row=rows.append)
    plan, ids = pg.plan_for(pg.Settings(**TINY))
    assert any(f'building the teacher stage {ids["teacher"]}' in m for m in messages)
    assert rows and all(row['stage'] == 'teacher' for row in rows)  # its fine-tuning curve
    assert teacher.label == 'quick teacher L1_H32' and 0 <= teacher.test_accuracy <= 100
    store = tmp_path / pg.STORE
    record = runs.load_record('turc2019', ids['teacher'], store)
    assert record['metrics']['test_accuracy'] == teacher.test_accuracy
    assert (tmp_path / 'checkpoints' / ids['teacher'] / 'config.json').exists()
    assert runs.is_done('turc2019', plan.configs[ids['teacher']]['init'], store)
    assert paths.RUNS == paths.RESULTS / 'runs'  # pointed back after the build
    assert sorted(p for p in paths.RESULTS.rglob('*') if p.is_file()) == before
    # built: the next time it is loaded, with no rows
    messages.clear(), rows.clear()
    again = pg.teacher_for(pg.Settings(**TINY), log=messages.append, on_row=rows.append)
    assert not messages and not rows and again.test_accuracy == teacher.test_accuracy


# -----------------------------------------------------------------------------
# runs


@pytest.mark.slow
def test_run_reports_rows_and_stops_on_request():
    rows = []
    result = pg.run(pg.Settings(procedure='basic', **TINY), on_row=rows.append, log=quiet)
    assert rows == result['history'] and len(rows) == 2 * 2  # 2 epochs of 4 steps, 2 evaluations each
    assert rows[0]['stage'] == 'train' and 'dev_accuracy' in rows[0] and 'train_ce' in rows[0]
    assert 0 <= result['test_accuracy'] <= 100 and not result['stopped']
    assert result['teacher_test_accuracy'] is None and result['stages'] == {}

    stopped = pg.run(pg.Settings(procedure='basic', **TINY), log=quiet, should_stop=lambda: True)
    assert stopped['stopped'] and len(stopped['history']) == 1
    assert stopped['steps'] == stopped['history'][0]['step'] == 2  # the first evaluation


@pytest.mark.slow
def test_distilled_runs_with_every_term_and_fine_tuning():
    s = pg.Settings(procedure='D', student_size='tiny', alpha_soft=1.0, alpha_hard=0.5,
                    alpha_cos=2.0, finetune_epochs=1, **TINY)
    result = pg.run(s, log=quiet)
    stages = [row['stage'] for row in result['history']]
    assert stages[0] == 'distill' and stages[-1] == 'finetune'
    steps = [row['step'] for row in result['history']]
    assert steps == sorted(steps)  # fine-tuning continues the step count
    first = result['history'][0]
    assert first['train_soft_ce'] > 0 and first['train_ce'] > 0 and first['train_cos'] > 0
    # the loss trained on is the weighted sum of the composed terms
    assert first['train_loss'] == pytest.approx(
        first['train_soft_ce'] + 0.5 * first['train_ce'] + 2.0 * first['train_cos'], rel=1e-4)
    # 64 labeled rows joined the 96 transfer rows: 10 steps of 16 per epoch
    assert result['history'][stages.index('finetune') - 1]['step'] == 2 * 10
    assert result['teacher_test_accuracy'] is not None
    assert result['stages']['teacher'] == pg.plan_for(s)[1]['teacher']
    bilstm = pg.run(s.replace(procedure='BiLSTM', finetune_epochs=0, alpha_hard=0.0), log=quiet)
    assert set(k for k in bilstm['history'][0] if k.startswith('train_')) == \
        {'train_soft_ce', 'train_rep_cos', 'train_loss'}  # its representation vs the [CLS]
    assert bilstm['history'][0]['train_rep_cos'] > 0


@pytest.mark.slow
def test_pretrained_procedures_start_from_the_pre_training_stage():
    messages = []  # L1_H16: no other test pre-trains this size
    pf = pg.run(pg.Settings(procedure='PF', student_size='L1_H16', **TINY), log=messages.append)
    pretrain = pf['stages']['pretrain']
    assert any(f'building the pretrain stage {pretrain}' in m for m in messages)
    assert runs.is_done('turc2019', pretrain, paths.CACHE / pg.STORE)
    messages.clear()
    pd = pg.run(pg.Settings(procedure='PD', student_size='L1_H16', **TINY), log=messages.append)
    assert pd['stages']['pretrain'] == pretrain and not any('pretrain stage' in m for m in messages)
    assert pf['history'] and pd['history']


def test_compare_puts_a_run_next_to_the_saved_runs():
    fake = {'settings': pg.Settings(procedure='D').to_dict(), 'description': 'D: a run',
            'test_accuracy': 64.0, 'teacher_test_accuracy': 71.0, 'teacher': 'quick teacher',
            'stopped': False}
    table = pg.compare(fake, dict(fake, test_accuracy=66.0, stopped=True))
    mine = table[table['source'] == 'this session']
    assert list(mine['procedure']) == ['D', 'D', 'teacher']  # one row per teacher
    assert list(mine['test_accuracy']) == [64.0, 66.0, 71.0] and 'stopped early' in mine['what'].iloc[1]
    saved = table[table['source'] == 'saved WR-F4 (mini)']
    # the saved mini runs are committed: every procedure at L1_H32, 3 seeds, and the teacher
    assert list(saved['procedure']) == ['teacher', 'basic', 'D', 'PF', 'PD']
    assert (saved[saved['procedure'] != 'teacher']['runs'] == 3).all()
    mean, std = pg.saved_reference(pg.Settings(procedure='D'))
    assert mean == pytest.approx(saved.set_index('procedure').loc['D', 'test_accuracy'], abs=0.01)
    assert std > 0 and pg.saved_reference(pg.Settings(procedure='BiLSTM')) is None
    bilstm = pg.compare(dict(fake, settings=pg.Settings(procedure='BiLSTM').to_dict()))
    assert 'saved MH-T2 (mini)' in set(bilstm['source'])
    assert not (bilstm['size'] == 'L1_H32').any()  # no BERT student rows for a BiLSTM run


# -----------------------------------------------------------------------------
# figures (minilab.plots)


def test_temperature_softens_the_distribution():
    p1, p5 = plots.softmax(plots.EXAMPLE_LOGITS, 1), plots.softmax(plots.EXAMPLE_LOGITS, 5)
    assert np.allclose(p1.sum(), 1) and np.allclose(p5.sum(), 1)
    assert p5.max() < p1.max() and p5.min() > p1.min()
    # the ranking of the wrong classes ("dark knowledge") is kept
    assert list(np.argsort(p1)) == list(np.argsort(p5))
    fig = pg.temperature_figure(temperatures=[1, 2, 5])
    assert len(fig.axes[0].patches) == 3 * len(plots.EXAMPLE_LOGITS)
    assert pg.figure_png(fig)[:8] == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(ValueError, match='2 labels for 3 logits'):
        plots.temperature_figure([1, 2, 3], labels=['a', 'b'])


def test_curve_figure_draws_losses_accuracy_teacher_and_saved_band():
    rows = [{'step': i, 'train_ce': 1.0 / i, 'train_loss': 1.0 / i, 'dev_accuracy': 50.0 + i}
            for i in range(1, 5)]
    fig = plots.curve_figure({'basic': rows, 'D': rows}, teacher_accuracy=70.0,
                             reference=(65.0, 1.0))
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 3  # 2 curves + the teacher line
    assert any('saved runs' in t.get_text() for t in acc_ax.get_legend().get_texts())
    plots.figure_png(plots.curve_figure([]))  # an empty run draws an empty figure


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
        row = {'step': step, 'train_soft_ce': 1.0 / step, 'train_loss': 1.0 / step,
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
    assert ui.controls['epochs'].disabled
    ui.set(procedure='BiLSTM')
    assert ui.controls['student_size'].disabled and not ui.controls['alpha_cos'].disabled
    ui.set(procedure='D', source='quick')
    assert not ui.controls['teacher_size'].disabled
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
    assert ui.curve.value[:4] == b'\x89PNG' and ui.curve.layout.display is None
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
