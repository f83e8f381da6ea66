"""The reference trainer server: the trainer protocol (docs/trainer-protocol.md) and OpenAI-compatible sampling
over one HTTP port, on the standard library's threading HTTP server."""

from __future__ import annotations

import json
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from . import protocol as P
from .engine import Engine
from .protocol import PROTOCOL, ProtocolError
from .sampling import Sample, generate, make_generator, prompt_ids
from .vllm_link import VllmLink

SERVER_VERSION = "mlerl-trainer/1"
MODELS = ("policy", "base")
MAX_BODY = 512 * 1024 * 1024


class App:
    """Routes and their handlers; independent of the HTTP plumbing so each handler is a plain function."""

    def __init__(self, engine: Engine, vllm: VllmLink | None = None):
        self.engine = engine
        self.vllm = vllm
        self.get: dict[str, Callable[[], dict]] = {
            "/health": self.health,
            "/capabilities": self.capabilities,
            "/version": lambda: {"version": self.engine.version},
            "/v1/models": self.models,
        }
        self.post: dict[str, Callable[[Any], dict]] = {
            "/forward_backward": self.forward_backward,
            "/optim_step": self.optim_step,
            "/save": lambda body: self.engine.save(P.directory(P.obj(body, "request"))),
            "/load": lambda body: self.engine.load(P.directory(P.obj(body, "request"))),
            "/v1/completions": lambda body: self.sample(body, chat=False),
            "/v1/chat/completions": lambda body: self.sample(body, chat=True),
        }

    def health(self) -> dict:
        return {"ok": True, "protocol": PROTOCOL, "version": self.engine.version}

    def capabilities(self) -> dict:
        e = self.engine
        return {
            "protocol": PROTOCOL,
            "losses": ["importance_sampling", "ppo"],
            "model": e.model_path,
            "adapter": {"kind": "lora", "r": e.lora.r, "alpha": e.lora.alpha},
            "serves": {"completions": True, "chat": bool(e.tokenizer.chat_template)},
            "vllm": self.vllm.url if self.vllm else None,
            "eosTokenId": e.eos_token_id,
            "adapterName": self.vllm.name if self.vllm else None,
            "maxContext": e.max_len,
            "vocabSize": e.vocab,
        }

    def models(self) -> dict:
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "mlerl", "max_model_len": self.engine.max_len} for m in MODELS]}

    def forward_backward(self, body: Any) -> dict:
        body = P.obj(body, "request")
        datums = P.datums(body, self.engine.vocab, self.engine.max_len)
        return self.engine.forward_backward(datums, P.loss_spec(body))

    def optim_step(self, body: Any) -> dict:
        result = self.engine.optim_step(P.adam(P.obj(body, "request")))
        if self.vllm is not None:
            try:
                self.vllm.publish(self.engine, result["version"])
            except ProtocolError as e:
                # The step itself happened; say so, so nobody retries it.
                raise ProtocolError(e.status, e.type, f"the optimizer step to version {result['version']} was applied, but {e.message}") from e
        return result

    def sample(self, body: Any, chat: bool) -> dict:
        e = self.engine
        req = P.sample_request(body, chat, MODELS, e.vocab)
        adapter = req.model == "policy"
        generator = make_generator(req.seed)
        with e.lock:
            prompt = prompt_ids(e, req)
            samples = [generate(e, prompt, req, generator, adapter) for _ in range(req.n)]
            # The base model is the adapter's starting point (LoRA's B starts at zero), i.e. version 0.
            version = e.version if adapter else 0
        return render(req, chat, prompt, samples, version, e)


def _token_text(engine: Engine, token: int) -> str:
    return engine.tokenizer.decode([token])


def render(req: P.SampleRequest, chat: bool, prompt: list[int], samples: list[Sample], version: int, engine: Engine) -> dict:
    """An OpenAI/vLLM-shaped reply, with vLLM's extra fields (token_ids, prompt_token_ids) and adapter_version."""
    choices = []
    for i, s in enumerate(samples):
        choice: dict[str, Any] = {"index": i, "finish_reason": s.finish_reason, "stop_reason": None}
        if chat:
            choice["message"] = {"role": "assistant", "content": s.text}
            if req.logprobs:
                content = []
                for k, (t, lp) in enumerate(zip(s.token_ids, s.logprobs)):
                    text = _token_text(engine, t)
                    top = [{"token": _token_text(engine, a), "logprob": b} for a, b in s.top_logprobs[k]] if s.top_logprobs else []
                    content.append({"token": text, "logprob": lp, "bytes": list(text.encode()), "top_logprobs": top})
                choice["logprobs"] = {"content": content}
            else:
                choice["logprobs"] = None
        else:
            choice["text"] = s.text
            if req.logprobs:
                tokens = [_token_text(engine, t) for t in s.token_ids]
                offsets, pos = [], 0
                for t in tokens:
                    offsets.append(pos)
                    pos += len(t)
                top = [{_token_text(engine, a): b for a, b in row} for row in s.top_logprobs] if s.top_logprobs else None
                choice["logprobs"] = {"tokens": tokens, "token_logprobs": s.logprobs, "top_logprobs": top, "text_offset": offsets}
            else:
                choice["logprobs"] = None
        if req.return_token_ids:
            choice["token_ids"] = s.token_ids
            choice["prompt_token_ids"] = prompt
        choices.append(choice)
    completion_tokens = sum(len(s.token_ids) for s in samples)
    reply: dict[str, Any] = {
        "id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(time.time()),
        "model": req.model,
        "choices": choices,
        "usage": {"prompt_tokens": len(prompt), "completion_tokens": completion_tokens, "total_tokens": len(prompt) + completion_tokens},
        "adapter_version": version,
    }
    if chat and req.return_token_ids:
        reply["prompt_token_ids"] = prompt  # where vLLM puts it for chat
    return reply


def make_handler(app: App, quiet: bool):
    class Handler(BaseHTTPRequestHandler):
        server_version = SERVER_VERSION
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
            if not quiet:
                sys.stderr.write(f"[trainer] {self.address_string()} {format % args}\n")

        def _send(self, status: int, body: dict) -> None:
            try:
                data = json.dumps(body, allow_nan=False).encode()
            except ValueError:
                # JSON has no NaN/Infinity; a diverged loss is reported as an error, not as unparseable text.
                status, body = 500, {"error": {"type": "non_finite_result", "message": "the result holds NaN or Infinity (did the loss diverge? lower the learning rate or check the advantages)"}}
                data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, fn: Callable[[], dict]) -> None:
            try:
                self._send(200, fn())
            except ProtocolError as e:
                self._send(e.status, e.body())
            except Exception as e:  # a bug or an engine failure: the client gets a sentence, the log the trace
                traceback.print_exc()
                self._send(500, {"error": {"type": "internal_error", "message": f"{type(e).__name__}: {e}"}})

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            fn = app.get.get(path)
            if fn is None:
                self._send(404, {"error": {"type": "not_found", "message": f"GET {path} is not part of trainer protocol {PROTOCOL}"}})
                return
            self._dispatch(fn)

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            fn = app.post.get(path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": {"type": "body_too_large", "message": f"request body of {length} bytes exceeds {MAX_BODY}"}})
                self.close_connection = True
                return
            raw = self.rfile.read(length) if length else b""
            if fn is None:
                self._send(404, {"error": {"type": "not_found", "message": f"POST {path} is not part of trainer protocol {PROTOCOL}"}})
                return
            try:
                body = json.loads(raw or b"null")
            except ValueError as e:
                self._send(400, {"error": {"type": "invalid_json", "message": f"request body is not JSON: {e}"}})
                return
            self._dispatch(lambda: fn(body))

    return Handler


def serve(app: App, host: str, port: int, quiet: bool = False) -> None:
    try:
        httpd = ThreadingHTTPServer((host, port), make_handler(app, quiet))
    except OSError as e:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {e.strerror or e} (is another server using that port? pick another with --port)")
    httpd.daemon_threads = True
    bound_host, bound_port = httpd.server_address[:2]
    # One machine-readable line on stdout once requests are answered; starters read the port from it (port 0 = any).
    url = f"http://{bound_host}:{bound_port}"
    print(json.dumps({"event": "listening", "url": url, "port": bound_port, "version": app.engine.version}), flush=True)
    print(
        f"[trainer] {app.engine.model_path} on {app.engine.device} at {url} (protocol {PROTOCOL}, version {app.engine.version}); "
        f"sampling models \"policy\" and \"base\"" + (f"; adapters go to vLLM at {app.vllm.url}" if app.vllm else ""),
        file=sys.stderr,
        flush=True,
    )
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
