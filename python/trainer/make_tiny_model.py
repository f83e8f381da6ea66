"""Build a tiny, randomly initialised Qwen2-architecture causal LM and a byte-level BPE tokenizer, with nothing
downloaded: the tokenizer is trained on text that ships with this repository. Fixed seeds make the output the same
for the same repository content, so tests can rely on it.

    python -m trainer.make_tiny_model --out DIR [--vocab 2048] [--hidden 64] [--layers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# ChatML, the format of Qwen2.5's instruct models, so prompts look like the real model's.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def corpus_files() -> list[Path]:
    """Text the tokenizer learns from: prompt templates and Python that ships with the repository."""
    globs = ["prompts/*.md", "tasks/reference/**/*.py", "python/instrument/*.py"]
    files: set[Path] = set()
    for g in globs:
        files.update(p for p in REPO.glob(g) if p.is_file())
    if not files:
        raise SystemExit(f"no training text found under {REPO} (expected prompts/*.md and tasks/reference/**/*.py)")
    return sorted(files)


def build_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in corpus_files()]
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build(out: Path, vocab_size: int, hidden: int, layers: int, seed: int) -> dict:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_tokenizer(vocab_size)
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    return {"out": str(out), "vocab": len(tokenizer), "parameters": params, "eosTokenId": tokenizer.eos_token_id}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build the tiny test model (random Qwen2 + locally trained tokenizer)")
    ap.add_argument("--out", required=True, help="directory to write the model and tokenizer to")
    ap.add_argument("--vocab", type=int, default=2048, help="tokenizer vocabulary size (default 2048)")
    ap.add_argument("--hidden", type=int, default=64, help="hidden size (default 64)")
    ap.add_argument("--layers", type=int, default=2, help="decoder layers (default 2)")
    ap.add_argument("--seed", type=int, default=0, help="weight initialisation seed (default 0)")
    args = ap.parse_args(argv)
    info = build(Path(args.out).resolve(), args.vocab, args.hidden, args.layers, args.seed)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
