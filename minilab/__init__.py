"""minilab: a study kit for knowledge distillation of compact language models.

Import the modules you need explicitly (`from minilab import data, models, runs`):
world (the offline synthetic language), data, models, losses, masking, distill
(objectives), train (the loop), teacher (cached teacher outputs), stages and
experiments (saved runs), runs (the run store), plots, report, notebooks, cli.
"""
__version__ = '0.1.0'
