"""python -m trainer --model PATH [--port 8600] ...: start the reference trainer server (docs/trainer-protocol.md)."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer", description="reference trainer server: HF causal LM + LoRA, trainer protocol 1 + OpenAI-compatible sampling")
    ap.add_argument("--model", required=True, help="Hugging Face model directory (or hub id if cached locally)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8600, help="port (default 8600; 0 = any free port)")
    ap.add_argument("--lora-r", type=int, default=8, help="LoRA rank (default 8)")
    ap.add_argument("--lora-alpha", type=int, default=16, help="LoRA alpha (default 16)")
    ap.add_argument("--lora-targets", default="all-linear", help="comma-separated module names, or all-linear (default)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the adapter's initialisation (default 0)")
    ap.add_argument("--device", default=None, help="torch device (default cuda if available, else cpu)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"], help="weights dtype (default float32)")
    ap.add_argument("--max-batch-tokens", type=int, default=8192, help="padded tokens per forward pass of forward_backward (default 8192)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--load", default=None, help="checkpoint directory (written by /save) to start from")
    ap.add_argument("--vllm-url", default=None, help="vLLM server to hot-load each new adapter into")
    ap.add_argument("--adapter-name", default="policy", help="adapter name prefix in vLLM: <name>-v<version> (default policy)")
    ap.add_argument("--adapter-dir", default=None, help="where adapters for vLLM are written (default a temporary directory)")
    ap.add_argument("--quiet", action="store_true", help="do not log each request")
    args = ap.parse_args(argv)

    # SIGTERM ends the process like Ctrl-C, so starters can stop it cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    import warnings

    # Deprecation notices of the pinned libraries are noise to a user of the server.
    warnings.filterwarnings("ignore", category=FutureWarning)

    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    from .engine import Engine, LoraSettings
    from .server import App, serve
    from .vllm_link import VllmLink

    model = args.model
    if Path(model).exists():
        model = str(Path(model).resolve())
    if Path(model).is_dir() and not (Path(model) / "config.json").is_file():
        print(f"error: {model} has no config.json, so it is not a Hugging Face model directory", file=sys.stderr, flush=True)
        return 2
    try:
        engine = Engine(model, LoraSettings(args.lora_r, args.lora_alpha, args.lora_targets), seed=args.seed, device=device, dtype=args.dtype, max_batch_tokens=args.max_batch_tokens)
    except Exception as e:  # whatever the libraries raise, the user needs one line, not their stack
        first = (str(e).strip().splitlines() or [""])[0]
        print(f"error: cannot load the model {model}: {type(e).__name__}: {first}", file=sys.stderr, flush=True)
        return 2
    if args.load:
        from .protocol import ProtocolError

        try:
            engine.load(str(Path(args.load).resolve()))
        except ProtocolError as e:
            print(f"error: --load {args.load}: {e.message}", file=sys.stderr, flush=True)
            return 2
    vllm = None
    if args.vllm_url:
        adapter_dir = Path(args.adapter_dir or tempfile.mkdtemp(prefix="mlerl-adapters-")).resolve()
        vllm = VllmLink(args.vllm_url, args.adapter_name, adapter_dir)
        try:
            vllm.publish(engine, engine.version)
        except Exception as e:  # vLLM may still be starting; the next optimizer step publishes again
            print(f"[trainer] warning: could not load the initial adapter into vLLM: {e}", file=sys.stderr, flush=True)
    try:
        serve(App(engine, vllm), args.host, args.port, quiet=args.quiet)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
