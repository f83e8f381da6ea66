"""Validation of request bodies of the trainer protocol. Every problem becomes a ProtocolError whose message names
the field, so a client (or a person with curl) can fix the request without reading this code."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

PROTOCOL = 1


class ProtocolError(Exception):
    """An error reply: HTTP status, a short snake_case type and a human sentence."""

    def __init__(self, status: int, type_: str, message: str):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message

    def body(self) -> dict:
        return {"error": {"type": self.type, "message": self.message}}


def bad(message: str, type_: str = "invalid_request") -> ProtocolError:
    return ProtocolError(400, type_, message)


def obj(body: Any, what: str) -> dict:
    if not isinstance(body, dict):
        raise bad(f"{what}: expected a JSON object")
    return body


def number(v: Any, field: str, *, default: float | None = None, minimum: float | None = None) -> float:
    if v is None:
        if default is None:
            raise bad(f"{field}: required number is missing")
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise bad(f"{field}: expected a finite number, got {v!r}")
    if minimum is not None and v < minimum:
        raise bad(f"{field}: must be >= {minimum}, got {v}")
    return float(v)


def integer(v: Any, field: str, *, default: int | None = None, minimum: int | None = None) -> int:
    if v is None:
        if default is None:
            raise bad(f"{field}: required integer is missing")
        return default
    if isinstance(v, bool) or not isinstance(v, int):
        raise bad(f"{field}: expected an integer, got {v!r}")
    if minimum is not None and v < minimum:
        raise bad(f"{field}: must be >= {minimum}, got {v}")
    return v


def token_list(v: Any, field: str, vocab: int) -> list[int]:
    if not isinstance(v, list):
        raise bad(f"{field}: expected a list of token ids")
    for i, t in enumerate(v):
        if isinstance(t, bool) or not isinstance(t, int) or t < 0 or t >= vocab:
            raise bad(f"{field}[{i}]: {t!r} is not a token id of this model (0..{vocab - 1})")
    return v


def float_list(v: Any, field: str) -> list[float]:
    if not isinstance(v, list):
        raise bad(f"{field}: expected a list of numbers")
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise bad(f"{field}[{i}]: expected a finite number, got {x!r}")
    return [float(x) for x in v]


@dataclass
class Datum:
    model_input: list[int]
    target_tokens: list[int]
    logprobs: list[float]
    advantages: list[float]


def datums(body: dict, vocab: int, max_len: int) -> list[Datum]:
    raw = body.get("datums")
    if not isinstance(raw, list) or not raw:
        raise bad("datums: expected a non-empty list")
    out = []
    for i, d in enumerate(raw):
        d = obj(d, f"datums[{i}]")
        datum = Datum(
            model_input=token_list(d.get("modelInput"), f"datums[{i}].modelInput", vocab),
            target_tokens=token_list(d.get("targetTokens"), f"datums[{i}].targetTokens", vocab),
            logprobs=float_list(d.get("logprobs"), f"datums[{i}].logprobs"),
            advantages=float_list(d.get("advantages"), f"datums[{i}].advantages"),
        )
        n = len(datum.model_input)
        if n == 0:
            raise bad(f"datums[{i}].modelInput: empty")
        if n > max_len:
            raise bad(f"datums[{i}]: {n} positions exceed the model's context of {max_len}", "context_too_long")
        if not (len(datum.target_tokens) == len(datum.logprobs) == len(datum.advantages) == n):
            raise bad(
                f"datums[{i}]: modelInput, targetTokens, logprobs and advantages must have the same length "
                f"(got {n}, {len(datum.target_tokens)}, {len(datum.logprobs)}, {len(datum.advantages)})"
            )
        out.append(datum)
    return out


@dataclass
class Loss:
    name: str
    clip_low: float
    clip_high: float


def loss_spec(body: dict) -> Loss:
    spec = obj(body.get("loss"), "loss")
    name = spec.get("name")
    if name not in ("importance_sampling", "ppo"):
        raise bad(f"loss.name: expected \"importance_sampling\" or \"ppo\", got {name!r}", "unknown_loss")
    return Loss(
        name=name,
        clip_low=number(spec.get("clipLow"), "loss.clipLow", default=0.2, minimum=0.0),
        clip_high=number(spec.get("clipHigh"), "loss.clipHigh", default=0.2, minimum=0.0),
    )


@dataclass
class Adam:
    lr: float
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    max_grad_norm: float | None


def adam(body: dict) -> Adam:
    a = obj(body.get("adam"), "adam")
    max_norm = a.get("maxGradNorm")
    return Adam(
        lr=number(a.get("learningRate"), "adam.learningRate", minimum=0.0),
        beta1=number(a.get("beta1"), "adam.beta1", default=0.9, minimum=0.0),
        beta2=number(a.get("beta2"), "adam.beta2", default=0.999, minimum=0.0),
        eps=number(a.get("eps"), "adam.eps", default=1e-8, minimum=0.0),
        weight_decay=number(a.get("weightDecay"), "adam.weightDecay", default=0.0, minimum=0.0),
        max_grad_norm=None if max_norm is None else number(max_norm, "adam.maxGradNorm", minimum=0.0),
    )


def directory(body: dict) -> str:
    d = body.get("dir")
    if not isinstance(d, str) or not d.startswith("/"):
        raise bad(f"dir: expected an absolute path, got {d!r}")
    return d


@dataclass
class SampleRequest:
    """An OpenAI-style sampling request, reduced to what the engine needs."""

    model: str
    prompt_ids: list[int] | None
    prompt_text: str | None
    messages: list[dict] | None
    max_tokens: int
    temperature: float
    top_p: float
    seed: int | None
    n: int
    logprobs: bool
    top_logprobs: int
    return_token_ids: bool
    stop: list[str]


def sample_request(body: Any, chat: bool, models: tuple[str, ...], vocab: int) -> SampleRequest:
    body = obj(body, "request")
    model = body.get("model")
    if model not in models:
        raise ProtocolError(404, "model_not_found", f"model {model!r} is not served here; use one of {', '.join(models)}")
    prompt_ids = prompt_text = messages = None
    if chat:
        raw = body.get("messages")
        if not isinstance(raw, list) or not raw:
            raise bad("messages: expected a non-empty list of {role, content}")
        for i, m in enumerate(raw):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
                raise bad(f"messages[{i}]: expected {{\"role\": string, \"content\": string}}")
        messages = [{"role": m["role"], "content": m["content"]} for m in raw]
        want_logprobs = body.get("logprobs") is True
        top = integer(body.get("top_logprobs"), "top_logprobs", default=0, minimum=0)
    else:
        p = body.get("prompt")
        if isinstance(p, str):
            prompt_text = p
        elif isinstance(p, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in p):
            prompt_ids = token_list(p, "prompt", vocab)
            if not prompt_ids:
                raise bad("prompt: empty token list")
        else:
            raise bad("prompt: expected one string or one list of token ids (one prompt per request)")
        lp = body.get("logprobs")
        want_logprobs = lp is not None and lp is not False
        top = 0 if not want_logprobs or lp is True else integer(lp, "logprobs", minimum=0)
    stop = body.get("stop")
    if stop is None:
        stops: list[str] = []
    elif isinstance(stop, str):
        stops = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        stops = list(stop)
    else:
        raise bad("stop: expected a string or a list of strings")
    temperature = number(body.get("temperature"), "temperature", default=1.0, minimum=0.0)
    top_p = number(body.get("top_p"), "top_p", default=1.0, minimum=0.0)
    if top_p == 0 or top_p > 1:
        raise bad(f"top_p: must be in (0, 1], got {top_p}")
    if (temperature != 1.0 or top_p != 1.0) and body.get("allow_tempered") is not True:
        raise bad(
            f"temperature={temperature}, top_p={top_p}: this server samples at temperature 1 and top_p 1 so that "
            "the logprobs it reports are the ones the trainer recomputes; send \"allow_tempered\": true to sample "
            "otherwise (the reported logprobs are then those of the tempered distribution)",
            "tempered_sampling_rejected",
        )
    seed = body.get("seed")
    return SampleRequest(
        model=model,
        prompt_ids=prompt_ids,
        prompt_text=prompt_text,
        messages=messages,
        max_tokens=integer(body.get("max_tokens", body.get("max_completion_tokens")), "max_tokens", default=16, minimum=0),
        temperature=temperature,
        top_p=top_p,
        seed=None if seed is None else integer(seed, "seed"),
        n=integer(body.get("n"), "n", default=1, minimum=1),
        logprobs=want_logprobs,
        top_logprobs=top,
        return_token_ids=body.get("return_token_ids") is True,
        stop=stops,
    )
