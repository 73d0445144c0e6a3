"""Fit a reference-free style (embedding and pull) end to end through the autodiff chain on the train split's board-mix targets (dropped experiment; docs/TRAINING.md)."""
import sys, time, math
from pathlib import Path
import numpy as np
import tensorflow as tf
from aeib.model.config import ModelConfig
from aeib.model.saving import load_keras_model
from aeib.model.autodiff_dsp import apply_chain
from aeib.model.train_step import make_loss
from aeib.data.shards import read_shard

KIND = sys.argv[1] if len(sys.argv) > 1 else "board"
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
config = ModelConfig.load("runs/small-v3b/config.json")
analyzer = load_keras_model("runs/small-v3b/analyzer.keras")
frontend, encoder, controller = (analyzer.get_layer(n) for n in ("log_mel", "encoder", "controller"))
loss_fn = make_loss(config)

def load(split, limit=None):
    xs, ts, rs, ident = [], [], [], []
    for shard in sorted(Path("data/pairs_v2_final").glob(f"{split}-*.npz")):
        s = read_shard(shard)
        for i, ex in enumerate(s["meta"]["examples"]):
            tm = ex.get("target_mode", ex["mode"])
            if ex["mode"] == KIND or (ex["mode"] == "identity" and tm == KIND):
                xs.append(s["input"][i]); ts.append(s["target"][i]); rs.append(s["reference"][i]); ident.append(ex["mode"] == "identity")
        if limit and len(xs) >= limit:
            break
    return (np.asarray(xs, np.float32), np.asarray(ts, np.float32), np.asarray(rs, np.float32), np.asarray(ident))

t0 = time.time()
X, T, R, is_identity = load("train")
Xv, Tv, Rv, _ = load("valid", 200)
print("train", len(X), "valid", len(Xv), f"{time.time()-t0:.0f}s", flush=True)

def embed(a, bs=32):
    return np.concatenate([encoder(frontend(a[i:i+bs]), training=False).numpy() for i in range(0, len(a), bs)])
mean_style = embed(R[~is_identity]).mean(0)
style = tf.Variable(mean_style, dtype=tf.float32)
pull_logit = tf.Variable(math.log(0.4 / 0.6), dtype=tf.float32)
opt = tf.keras.optimizers.Adam(0.01)

def outputs(x, style_v, pull):
    e = encoder(frontend(x), training=False)
    t = e + pull * (style_v[None] - e)
    p01 = controller(tf.concat([e, t], axis=-1), training=False)
    return apply_chain(x, p01, config.sample_rate, config.training.compressor_block_size)

@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        out = outputs(x, style, tf.sigmoid(pull_logit))
        loss = loss_fn(y, out)
    grads = tape.gradient(loss, [style, pull_logit])
    opt.apply_gradients(zip(grads, [style, pull_logit]))
    return loss

def val_loss(style_v, pull):
    losses = []
    for i in range(0, len(Xv), 16):
        out = outputs(Xv[i:i+16], tf.constant(style_v), tf.constant(pull, tf.float32))
        losses.append(float(loss_fn(Tv[i:i+16], out)) * len(out))
    return sum(losses) / len(Xv)

print("valid loss: pull 0.4 mean style", val_loss(mean_style, 0.4), "pull 1", val_loss(mean_style, 1.0), flush=True)
rng = np.random.default_rng(0)
t0 = time.time()
for k in range(STEPS):
    idx = rng.choice(len(X), 16, replace=False)
    batch_loss = step(X[idx], T[idx])
    if k % 25 == 0:
        print(k, float(batch_loss), "pull", float(tf.sigmoid(pull_logit)), f"{time.time()-t0:.0f}s", flush=True)
pull = float(tf.sigmoid(pull_logit))
print("valid loss trained", val_loss(style.numpy(), pull), "pull", pull, flush=True)
np.savez(f"runs/e2e/style-{KIND}.npz", style=style.numpy(), pull=pull, mean_style=mean_style)
