"""Trained models (persuasion techniques, ...). Kept light: import the submodules you need.

`persuasion_lens.models.techniques.load_default_detector()` gives the shipped technique detector;
`persuasion_lens.models.metrics` has the official-style SemEval scores.
"""
