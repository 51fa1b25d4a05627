"""Recognition latency, training throughput and peak RSS. Prints figures; not a timed test.

    python benchmarks/latency.py [--variants small paper] [--repeats 30]

Word ~32x128 and line ~32x800 inputs, batch 1 and 32, torch vs onnxruntime (float, and with 8-bit
LSTM and linear weights), p50/p90 in ms per
image; end-to-end (preprocess + model + greedy decode) for batch 1; a new input width's first call
vs a repeat; training samples/s on CPU.
Compare ratios within one run: absolute times on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from hwr_core.charset import CTCCodec
from hwr_core.modelfile import new_bundle, save_model
from hwr_core.recognizer import Recognizer

SHAPES = {"word": 128, "line": 800}


def percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 90))


def time_calls(fn, repeats: int, warmup: int = 3) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def synthetic_ink(width: int, rng: np.random.Generator) -> np.ndarray:
    """A uint8 'handwriting-like' image: random strokes, so preprocessing does real work."""
    import cv2

    img = np.full((64, width * 2), 255, np.uint8)
    for x in range(10, width * 2 - 20, 18):
        pts = np.array(
            [[x, 20 + rng.integers(0, 10)], [x + 8, 44], [x + 14, 18 + rng.integers(0, 12)]], np.int32
        )
        cv2.polylines(img, [pts], False, 0, 3, cv2.LINE_AA)
    return img


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=["small", "paper"])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(0)
    codec = CTCCodec()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; classes {codec.num_classes}")
    for variant in args.variants:
        bundle = new_bundle(variant, codec)
        params = sum(p.numel() for p in bundle.model.parameters())
        path = save_model(bundle, f"/tmp/bench-{variant}.safetensors")
        print(f"\n== {variant}: {params:,} parameters, model file {path.stat().st_size / 1e6:.1f} MB")
        recs = {b: Recognizer(bundle, backend=b) for b in ("torch", "onnx", "onnx-int8")}
        for shape, width in SHAPES.items():
            for batch in (1, 32):
                x = rng.random((batch, 1, 32, width), dtype=np.float32)
                row = []
                for backend, rec in recs.items():
                    t = time_calls(
                        lambda rec=rec, x=x: rec.logits(x),
                        args.repeats if batch == 1 else max(5, args.repeats // 4),
                    )
                    p50, p90 = percentiles([v / batch for v in t])
                    row.append(f"{backend} p50 {p50:6.2f} p90 {p90:6.2f}")
                print(
                    f"  model only  {shape:4s} 32x{width:<4d} batch {batch:2d}: "
                    + " | ".join(row)
                    + "  ms/image"
                )
            image = synthetic_ink(width, rng)
            row = []
            for backend, rec in recs.items():
                t = time_calls(lambda rec=rec, image=image: rec.recognize(image), args.repeats)
                p50, p90 = percentiles(t)
                row.append(f"{backend} p50 {p50:6.2f} p90 {p90:6.2f}")
            print(
                f"  end-to-end  {shape:4s} (preprocess+model+decode), batch 1: "
                + " | ".join(row)
                + "  ms/image"
            )
        # The CPU backend builds convolution kernels per input shape: the first call at a width
        # costs more than later ones, which is why the recognizer pads widths to WIDTH_BUCKET.
        widths = [801 + 7 * i for i in range(args.repeats)]  # none seen above
        torch_rec = recs["torch"]
        first = [
            time_calls(lambda w=w, r=torch_rec: r.logits(np.zeros((1, 1, 32, w), np.float32)), 1, 0)[0]
            for w in widths
        ]
        again = [
            time_calls(lambda w=w, r=torch_rec: r.logits(np.zeros((1, 1, 32, w), np.float32)), 1, 0)[0]
            for w in widths
        ]
        print(
            f"  model only  line, a width's first call vs a repeat (torch): p50 {np.median(first):6.2f} vs "
            f"{np.median(again):6.2f} ms, ratio {np.median(first) / np.median(again):.2f}"
        )
        # Training throughput on CPU (forward + CTC + backward + AdamW step).
        model = bundle.model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        for shape, width in SHAPES.items():
            bs = 32 if shape == "word" else 16
            x = torch.rand(bs, 1, 32, width)
            targets = torch.randint(1, codec.num_classes, (bs * 6,))
            lengths = torch.full((bs,), 6)

            def step(x=x, targets=targets, lengths=lengths, width=width, bs=bs, model=model, opt=opt) -> None:
                lp = model(x).log_softmax(-1).permute(1, 0, 2)
                loss = F.ctc_loss(lp, targets, model.output_lengths(torch.full((bs,), width)), lengths)
                opt.zero_grad()
                loss.backward()
                opt.step()

            t = time_calls(step, 5, warmup=1)
            print(f"  training    {shape:4s} batch {bs}: {bs / (np.median(t) / 1000):7.1f} samples/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
