"""Token-by-token sampling with exact logprobs: each token is drawn from softmax(logits) of the model's raw logits
(temperature 1, no top-p) and reported with that log-probability, so the trainer's recomputed logprob of the same
token under the same weights equals it. Tempered sampling is only done when the request asks for it, and then the
reported logprobs are those of the distribution actually sampled from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch

from .engine import Engine
from .protocol import ProtocolError, SampleRequest


@dataclass
class Sample:
    token_ids: list[int]
    logprobs: list[float]
    top_logprobs: list[list[tuple[int, float]]] = field(default_factory=list)
    finish_reason: str = "length"
    text: str = ""


def _distribution(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Log-probabilities of the distribution a token is drawn from."""
    logp = torch.log_softmax(logits, dim=-1)
    if temperature == 1.0 and top_p == 1.0:
        return logp
    if temperature == 0.0:
        greedy = torch.full_like(logp, float("-inf"))
        greedy[int(torch.argmax(logp))] = 0.0
        return greedy
    logp = torch.log_softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_lp, order = torch.sort(logp, descending=True)
        cum = torch.cumsum(sorted_lp.exp(), dim=-1)
        # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        drop_sorted = (cum - sorted_lp.exp()) >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(0, order, drop_sorted)
        logp = torch.log_softmax(logp.masked_fill(drop, float("-inf")), dim=-1)
    return logp


def prompt_ids(engine: Engine, req: SampleRequest) -> list[int]:
    tok = engine.tokenizer
    if req.prompt_ids is not None:
        return list(req.prompt_ids)
    if req.messages is not None:
        if not tok.chat_template:
            raise ProtocolError(400, "no_chat_template", f"the tokenizer of {engine.model_path} has no chat template; use /v1/completions")
        text = tok.apply_chat_template(req.messages, tokenize=False, add_generation_prompt=True)
    else:
        text = req.prompt_text or ""
    ids = tok.encode(text, add_special_tokens=False)
    if not ids:
        raise ProtocolError(400, "invalid_request", "prompt: encodes to no tokens")
    return list(ids)


def _stop_hit(text: str, stops: list[str]) -> int | None:
    """Index where the earliest stop string starts in text, if any."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(hits) if hits else None


@torch.no_grad()
def generate(engine: Engine, prompt: list[int], req: SampleRequest, generator: torch.Generator, adapter: bool) -> Sample:
    room = engine.max_len - len(prompt)
    if room <= 0:
        raise ProtocolError(400, "context_too_long", f"prompt of {len(prompt)} tokens leaves no room in the model's context of {engine.max_len}")
    max_tokens = min(req.max_tokens, room)
    out = Sample(token_ids=[], logprobs=[])
    if max_tokens == 0:
        return out
    model = engine.model
    with engine.adapter(adapter):
        step = model(input_ids=torch.tensor([prompt], device=engine.device), use_cache=True)
        past = step.past_key_values
        logits = step.logits[0, -1].float()
        for _ in range(max_tokens):
            logp = _distribution(logits, req.temperature, req.top_p)
            token = int(torch.multinomial(logp.exp().cpu(), 1, generator=generator).item())
            out.token_ids.append(token)
            out.logprobs.append(float(logp[token].item()))
            if req.top_logprobs > 0:
                values, ids = torch.topk(logp, min(req.top_logprobs, logp.shape[0]))
                out.top_logprobs.append([(int(i), float(v)) for v, i in zip(values.tolist(), ids.tolist())])
            if token in engine.eos_ids:
                out.finish_reason = "stop"
                break
            if req.stop:
                text = engine.tokenizer.decode(out.token_ids, skip_special_tokens=True)
                if _stop_hit(text, req.stop) is not None:
                    out.finish_reason = "stop"
                    break
            step = model(input_ids=torch.tensor([[token]], device=engine.device), past_key_values=past, use_cache=True)
            past = step.past_key_values
            logits = step.logits[0, -1].float()
    text = engine.tokenizer.decode(out.token_ids, skip_special_tokens=True)
    cut = _stop_hit(text, req.stop) if req.stop else None
    out.text = text if cut is None else text[:cut]
    return out


def make_generator(seed: int | None) -> torch.Generator:
    g = torch.Generator(device="cpu")
    g.manual_seed(seed if seed is not None else int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1))
    return g
