"""Run a script or `aeib` with the refinement fit's anchor weight changed (experiment, docs/TRAINING.md): with_anchor_weight.py W script.py|aeib ARGS..."""
import runpy, sys
import aeib.baselines.rule_based as rb
weight = float(sys.argv[1])
defaults = list(rb.fit_eq.__defaults__)
defaults[-1] = weight
rb.fit_eq.__defaults__ = tuple(defaults)
target, args = sys.argv[2], sys.argv[3:]
if target == "aeib":
    from aeib.cli.main import main
    sys.exit(main(args))
sys.argv = [target, *args]
runpy.run_path(target, run_name="__main__")
