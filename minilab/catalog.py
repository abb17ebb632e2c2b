"""The names the command line accepts, without importing torch: every
experiment with its paper and presets. `minilab run no-such` answers from
here in a fraction of a second; tests/test_architecture.py keeps this table
equal to the paper modules' own (`minilab.experiments.EXPERIMENTS`).
"""
PRESETS = ('tiny', 'mini', 'paper')

EXPERIMENTS = {  # name -> (paper, presets)
    # quick: the playground's; real: real English at CPU scale (SST-2, MiniLM teacher)
    'wr_main': ('turc2019', PRESETS + ('quick', 'real')),
    'wr_main_nli': ('turc2019', PRESETS + ('quick', 'real')),
    'wr_budget': ('turc2019', ('tiny', 'real')),  # the kit's pre-training budget: real text only
    'wr_grid': ('turc2019', PRESETS + ('real',)),
    'wr_init': ('turc2019', PRESETS),
    'wr_transfer': ('turc2019', PRESETS),
    'wr_domain': ('turc2019', PRESETS),
    'wr_compound': ('turc2019', PRESETS),
    'wr_readme': ('turc2019', PRESETS),
    'wr_depth_width': ('turc2019', PRESETS),
    'wr_concurrent': ('turc2019', PRESETS),
    'db_main': ('sanh2019', PRESETS),
    'db_downstream': ('sanh2019', PRESETS),
    'db_speed': ('sanh2019', PRESETS),
    'db_all': ('sanh2019', PRESETS),
    'mh_main': ('mukherjee2020', PRESETS),
    'mh_lowres': ('mukherjee2020', PRESETS),
    'mh_transfer': ('mukherjee2020', PRESETS),
    'mh_ablation': ('mukherjee2020', PRESETS),
    'mh_speed': ('mukherjee2020', PRESETS),
}
PAPERS = tuple(dict.fromkeys(paper for paper, _ in EXPERIMENTS.values()))


def check_experiment(name):
    """ValueError in one line unless `name` is an experiment."""
    if name not in EXPERIMENTS:
        raise ValueError(f'unknown experiment {name!r}; valid: {", ".join(EXPERIMENTS)}')


def check_target(name, preset):
    """What `minilab run` takes: an experiment, a paper's name or 'all', and a preset."""
    if name not in EXPERIMENTS and name not in PAPERS and name != 'all':
        raise ValueError(f'unknown experiment {name!r}; valid: {", ".join(EXPERIMENTS)}, '
                         f'a paper ({", ".join(PAPERS)}) or all')
    presets = EXPERIMENTS[name][1] if name in EXPERIMENTS else tuple(dict.fromkeys(  # a paper: its experiments'
        preset for paper, names in EXPERIMENTS.values() if name in (paper, 'all') for preset in names))
    if preset not in presets:
        raise ValueError(f'unknown preset {preset!r} for {name}; valid: {", ".join(presets)}')
