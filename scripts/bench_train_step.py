#!/usr/bin/env python3
"""Training-step benchmark (speed only; nothing here is asserted by the tests).

Measures on synthetic batches (default: 16 examples of 2.5 s at 24 kHz, the ``small`` config):

* ``dsp``: the numpy chain over one batch as the SPSA layer runs it (one forward run plus two
  perturbed runs per example), for each parallel backend (threads, processes, serial);
* ``train_step``: one full optimization step (analyzer forward, chain, loss, gradient, Adam update)
  for each gradient mode (``spsa`` with each requested backend, ``autodiff``).

With ``--epsilon-sweep`` it instead runs the experiment used to choose the SPSA perturbation size:
per-example chain parameters are fitted directly (no network) to targets made by the chain from
random known settings, for each ε, and the remaining loss is reported.

With ``--compare-seconds S`` it trains the model from scratch in each gradient mode for S seconds
of wall-clock time on the same synthetic style-transfer data (a hidden random setting made the
reference and the target) and reports steps taken and the validation loss, measured through the
numpy chain in both modes.

Prints one JSON object. Example::

    .venv/bin/python scripts/bench_train_step.py --steps 5
    .venv/bin/python scripts/bench_train_step.py --epsilon-sweep 0.003 0.01 0.03 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def synthetic_audio(n_examples: int, n_samples: int, sample_rate: int, seed: int) -> np.ndarray:
    """Tones, noise and on/off level changes: float32[n_examples, n_samples] within ±0.6."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / sample_rate
    out = np.empty((n_examples, n_samples), dtype=np.float32)
    for i in range(n_examples):
        freqs = rng.uniform(60.0, 6000.0, size=5)
        tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (1 + k) for k, f in enumerate(sorted(freqs)))
        envelope = 0.3 + 0.7 * (np.sin(2 * np.pi * rng.uniform(0.5, 3.0) * t) > 0)
        signal = (0.12 * tones + 0.05 * rng.standard_normal(n_samples)) * envelope
        out[i] = signal * rng.uniform(0.3, 1.0)
    return out


def _timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def _summary(times: list[float]) -> dict:
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": len(times)}


def bench_dsp(audio: np.ndarray, sample_rate: int, backends: list[str], repeats: int) -> dict:
    """Chain runs of one SPSA step (forward + two perturbed runs per example) per backend."""
    from aeib.dsp import CHAIN_SCHEMA
    from aeib.model.batch_dsp import BatchDsp

    rng = np.random.default_rng(1)
    params = rng.uniform(0.1, 0.9, size=(len(audio), len(CHAIN_SCHEMA)))
    upstream = rng.standard_normal(audio.shape)
    results = {}
    for backend in backends:
        dsp = BatchDsp(sample_rate, backend=backend)

        def run():
            dsp.process(audio, params)
            dsp.projections(audio, np.clip(params + 0.01, 0, 1), np.clip(params - 0.01, 0, 1), upstream)

        run()  # warm-up: pool start, numba load
        results[backend] = {**_summary(_timed(run, repeats)), "workers": dsp.workers}
        dsp.close()
    return results


def bench_steps(config_name: str, audio: np.ndarray, reference: np.ndarray, target: np.ndarray,
                modes: list[tuple[str, str]], steps: int, warmup: int) -> dict:
    import tensorflow as tf

    from aeib.model import ModelConfig, build_enhancer, make_train_step
    from aeib.model.train_step import make_loss, make_optimizer

    base = ModelConfig.load(config_name)
    tensors = [tf.constant(a) for a in (audio, reference, target)]
    results = {}
    for gradient, backend in modes:
        config = base.replace_training(gradient=gradient, dsp_backend=backend)
        model = build_enhancer(config)
        step = make_train_step(model, make_loss(config), make_optimizer(config))
        started = time.perf_counter()
        losses = [float(step(*tensors)) for _ in range(warmup)]
        warmup_s = time.perf_counter() - started
        times = _timed(lambda: losses.append(float(step(*tensors))), steps)
        key = gradient if gradient == "autodiff" else f"spsa_{backend}"
        results[key] = {**_summary(times), "warmup_s": warmup_s, "losses": losses}
        dsp = model.get_layer("dsp")
        if hasattr(dsp, "dsp"):
            dsp.dsp.close()
    return results


def epsilon_sweep(epsilons: list[float], sample_rate: int, n_examples: int, seconds: float, steps: int,
                  learning_rate: float, seed: int, fitted: str = "all") -> dict:
    """Fit free per-example parameters by SPSA for each ε; report the loss left after ``steps``.

    ``fitted="all"``: targets are the chain applied with random known settings (every normalized
    value drawn in [0.15, 0.85]) and all parameters are fitted. ``fitted="gains"``: targets differ
    from the neutral setting only in the six EQ gains (drawn in [0.25, 0.75], i.e. ±9 dB) and only
    those are fitted, the rest held neutral; this problem can be solved exactly (loss → 0). The
    fitted parameters start at the neutral setting (clipped to [0.1, 0.9]) and are
    sigmoid(logits) trained with Adam and a cosine-decayed learning rate. The loss is the small
    config's. Examples use different Δ draws, so a batch of examples is also a batch of
    independent SPSA estimates.
    """
    import keras
    import tensorflow as tf

    from aeib.dsp import CHAIN_SCHEMA, process_normalized
    from aeib.model import ModelConfig
    from aeib.model.controller import neutral_output_bias
    from aeib.model.spsa import SpsaDspLayer
    from aeib.model.train_step import make_loss

    config = ModelConfig.load("small")
    loss_fn = make_loss(config)
    n_samples = int(seconds * sample_rate)
    audio = synthetic_audio(n_examples, n_samples, sample_rate, seed)
    rng = np.random.default_rng(seed + 1)
    neutral = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector())
    trainable = np.ones(len(CHAIN_SCHEMA))
    if fitted == "gains":
        trainable = np.array([name.startswith("eq.") and name.endswith(".gain_db")
                              for name in CHAIN_SCHEMA.names], dtype=float)
    truth = np.where(trainable > 0, rng.uniform(0.15, 0.85, size=(n_examples, len(CHAIN_SCHEMA))), neutral)
    if fitted == "gains":
        truth = np.where(trainable > 0, rng.uniform(0.25, 0.75, size=truth.shape), neutral)
    target = np.stack([process_normalized(audio[i], sample_rate, truth[i], limiter=False)
                       for i in range(n_examples)]).astype(np.float32)
    start = np.array(neutral_output_bias(neutral, 0.1))
    mask = tf.constant(trainable, tf.float32)
    fixed = tf.constant((1 - trainable) * neutral, tf.float32)
    audio_t, target_t = tf.constant(audio), tf.constant(target)
    results = {}
    for epsilon in epsilons:
        layer = SpsaDspLayer(sample_rate, epsilon=epsilon, seed=seed)
        logits = tf.Variable(np.tile(start, (n_examples, 1)), dtype=tf.float32)
        optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05))

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                value = loss_fn(target_t, layer([audio_t, mask * tf.sigmoid(logits) + fixed]))
            optimizer.apply([tape.gradient(value, logits)], [logits])
            return value

        history = [float(step()) for _ in range(steps)]
        estimate = (mask * tf.sigmoid(logits) + fixed).numpy()
        results[str(epsilon)] = {
            "initial_loss": history[0],
            "final_loss": float(np.mean(history[-10:])),
            "loss_ratio": float(np.mean(history[-10:]) / history[0]),
            "mean_abs_param_error": float(np.mean(np.abs(estimate - truth)[:, trainable > 0])),
        }
        layer.dsp.close()
    return {"experiment": "epsilon_sweep", "fitted": fitted, "examples": n_examples, "seconds": seconds, "steps": steps,
            "learning_rate": learning_rate, "seed": seed, "results": results}


def synthetic_style_data(n_examples: int, n_samples: int, sample_rate: int, seed: int):
    """(input, reference, target) float32[n, samples] each; reference and target share a hidden setting.

    The hidden normalized setting is drawn in [0.2, 0.8] per parameter; the reference is another
    synthetic signal processed with it, the target is the input processed with it.
    """
    from aeib.dsp import CHAIN_SCHEMA, process_normalized

    rng = np.random.default_rng(seed)
    audio = synthetic_audio(n_examples, n_samples, sample_rate, seed)
    other = synthetic_audio(n_examples, n_samples, sample_rate, seed + 10_000)
    hidden = rng.uniform(0.2, 0.8, size=(n_examples, len(CHAIN_SCHEMA)))
    reference = np.stack([process_normalized(o, sample_rate, h, limiter=False) for o, h in zip(other, hidden)])
    target = np.stack([process_normalized(a, sample_rate, h, limiter=False) for a, h in zip(audio, hidden)])
    return audio, reference.astype(np.float32), target.astype(np.float32)


def compare_modes(config_name: str, budget_s: float, n_train: int, n_valid: int, seed: int) -> dict:
    """Train from scratch in each gradient mode for ``budget_s`` seconds; validation loss via the numpy chain.

    The first step (tracing, XLA compilation) runs before the clock starts and is counted as a step.
    """
    import tensorflow as tf

    from aeib.model import ModelConfig, build_enhancer, make_train_step
    from aeib.model.spsa import SpsaDspLayer
    from aeib.model.train_step import make_loss, make_optimizer

    base = ModelConfig.load(config_name)
    n_samples = base.crop_samples
    train = synthetic_style_data(n_train, n_samples, base.sample_rate, seed)
    valid = [tf.constant(a) for a in synthetic_style_data(n_valid, n_samples, base.sample_rate, seed + 1)]
    loss_fn = make_loss(base)
    numpy_chain = SpsaDspLayer(base.sample_rate, seed=seed)
    batch = base.training.batch_size
    results = {}
    for gradient in ("spsa", "autodiff"):
        tf.keras.utils.set_random_seed(seed)
        config = base.replace_training(gradient=gradient)
        model = build_enhancer(config)
        analyzer = model.get_layer("analyzer")
        step = make_train_step(model, loss_fn, make_optimizer(config))

        def validation_loss():
            losses = []
            for start in range(0, n_valid, batch):
                audio, reference, target = (v[start:start + batch] for v in valid)
                output = numpy_chain([audio, analyzer([audio, reference], training=False)])
                losses.append(float(loss_fn(target, output)) * len(audio))
            return sum(losses) / n_valid

        rng = np.random.default_rng(seed)
        initial = validation_loss()
        warmup_started = time.perf_counter()  # tracing / XLA compilation: outside the budget
        train_losses = [float(step(*(tf.constant(a[rng.choice(n_train, size=batch, replace=False)]) for a in train)))]
        warmup_s = time.perf_counter() - warmup_started
        started, steps = time.perf_counter(), 1
        while time.perf_counter() - started < budget_s:
            index = rng.choice(n_train, size=batch, replace=False)
            train_losses.append(float(step(*(tf.constant(a[index]) for a in train))))
            steps += 1
        elapsed = time.perf_counter() - started
        results[gradient] = {"steps": steps, "warmup_s": warmup_s, "train_seconds": elapsed,
                             "seconds_per_step": elapsed / (steps - 1),
                             "initial_validation_loss": initial, "final_validation_loss": validation_loss(),
                             "last_10_train_loss": float(np.mean(train_losses[-10:]))}
        dsp = model.get_layer("dsp")
        if hasattr(dsp, "dsp"):
            dsp.dsp.close()
    return {"experiment": "compare_modes", "config": config_name, "budget_s": budget_s, "train_examples": n_train,
            "validation_examples": n_valid, "seed": seed, "results": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="small", help="model config name or JSON path (default small)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per mode")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per mode (tracing, XLA)")
    parser.add_argument("--dsp-repeats", type=int, default=10)
    parser.add_argument("--backends", nargs="+", default=["threads", "processes", "serial"],
                        help="DSP backends to time for the SPSA layer")
    parser.add_argument("--step-backends", nargs="*", default=["threads", "processes"],
                        help="backends used for full SPSA training steps")
    parser.add_argument("--no-autodiff", action="store_true", help="skip the autodiff training step")
    parser.add_argument("--epsilon-sweep", nargs="+", type=float, metavar="EPS",
                        help="run the ε experiment instead of the benchmark")
    parser.add_argument("--sweep-steps", type=int, default=150)
    parser.add_argument("--sweep-examples", type=int, default=16)
    parser.add_argument("--sweep-seconds", type=float, default=1.0)
    parser.add_argument("--sweep-learning-rate", type=float, default=0.05)
    parser.add_argument("--sweep-fitted", choices=["all", "gains"], default="all",
                        help="fit all parameters, or only the EQ gains (an exactly solvable problem)")
    parser.add_argument("--compare-seconds", type=float, metavar="S",
                        help="train each gradient mode for S seconds on synthetic data and compare")
    parser.add_argument("--compare-train", type=int, default=256, help="synthetic training examples")
    parser.add_argument("--compare-valid", type=int, default=32, help="synthetic validation examples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from aeib.model import ModelConfig

    config = ModelConfig.load(args.config)
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    if args.epsilon_sweep:
        record = epsilon_sweep(args.epsilon_sweep, config.sample_rate, args.sweep_examples, args.sweep_seconds,
                               args.sweep_steps, args.sweep_learning_rate, args.seed, args.sweep_fitted)
        print(json.dumps({**record, **machine}, indent=2))
        return 0

    if args.compare_seconds:
        record = compare_modes(args.config, args.compare_seconds, args.compare_train, args.compare_valid, args.seed)
        print(json.dumps({**record, **machine}, indent=2))
        return 0

    n_samples = int(round(args.seconds * config.sample_rate))
    audio = synthetic_audio(args.batch_size, n_samples, config.sample_rate, args.seed)
    reference = synthetic_audio(args.batch_size, n_samples, config.sample_rate, args.seed + 1)
    target = (0.8 * audio).astype(np.float32)
    modes = [("spsa", backend) for backend in args.step_backends]
    if not args.no_autodiff:
        modes.append(("autodiff", "threads"))
    record = {
        "benchmark": "train_step",
        "config": config.name,
        "batch_size": args.batch_size,
        "seconds": args.seconds,
        "sample_rate_hz": config.sample_rate,
        "dsp": bench_dsp(audio, config.sample_rate, args.backends, args.dsp_repeats),
        "train_step": bench_steps(args.config, audio, reference, target, modes, args.steps, args.warmup),
        **machine,
    }
    import tensorflow as tf

    record["tensorflow"] = tf.__version__
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
