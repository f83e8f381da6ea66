"""The model the server trains and samples from: a Hugging Face causal LM with a PEFT LoRA adapter, AdamW over the
adapter's parameters, gradients accumulated across forward_backward calls until optim_step.

One lock serialises every use of the model: a sample and a gradient step never interleave, so a reply's
adapter_version names exactly the weights that produced it.
"""

from __future__ import annotations

import json
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from .losses import TokenStats, token_loss
from .protocol import PROTOCOL, Adam, Datum, Loss, ProtocolError


@dataclass
class LoraSettings:
    r: int = 8
    alpha: int = 16
    target_modules: str = "all-linear"


class Engine:
    def __init__(
        self,
        model_path: str,
        lora: LoraSettings,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        max_batch_tokens: int = 8192,
    ):
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_path = model_path
        self.max_batch_tokens = max(1, max_batch_tokens)
        self.lora = lora
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        base = AutoModelForCausalLM.from_pretrained(model_path, dtype=getattr(torch, dtype))
        torch.manual_seed(seed)
        targets = lora.target_modules if lora.target_modules == "all-linear" else lora.target_modules.split(",")
        # Dropout 0: the trainer's forward pass must be the sampler's, or the logprobs would not match.
        config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=0.0, target_modules=targets, bias="none", task_type="CAUSAL_LM")
        self.model = get_peft_model(base, config).to(self.device)
        self.model.eval()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=1e-5, weight_decay=0.0)
        self.version = 0
        self.lock = threading.RLock()
        self.vocab = int(self.model.get_input_embeddings().weight.shape[0])
        cfg = self.model.config
        self.max_len = int(getattr(cfg, "max_position_embeddings", 4096) or 4096)
        self.eos_ids = self._eos_ids()

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        gen = getattr(self.model, "generation_config", None)
        eos = getattr(gen, "eos_token_id", None) if gen is not None else None
        if isinstance(eos, int):
            ids.add(eos)
        elif isinstance(eos, list):
            ids.update(int(e) for e in eos)
        return ids

    @property
    def eos_token_id(self) -> int | None:
        t = self.tokenizer.eos_token_id
        return None if t is None else int(t)

    def adapter(self, enabled: bool):
        """Context in which the model runs with the adapter (policy) or without it (the frozen base)."""
        return nullcontext() if enabled else self.model.disable_adapter()

    # ---- training -------------------------------------------------------------------------------------------

    def _micro_batches(self, datums: list[Datum]) -> list[list[int]]:
        """Datum indices sorted by length and grouped so that rows x longest row stays within the token budget:
        one forward pass per group, and a long sequence of a real model gets a pass of its own."""
        order = sorted(range(len(datums)), key=lambda i: len(datums[i].model_input))
        groups: list[list[int]] = []
        current: list[int] = []
        for i in order:
            if current and (len(current) + 1) * len(datums[i].model_input) > self.max_batch_tokens:
                groups.append(current)
                current = []
            current.append(i)
        if current:
            groups.append(current)
        return groups

    def _target_logprobs(self, rows: list[Datum]) -> list[torch.Tensor]:
        """Learner logprobs of each row's targets. Rows are right-padded: under causal attention a real position
        never sees the padding after it, so no attention mask is needed and the values are those of one row alone."""
        width = max(len(d.model_input) for d in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long, device=self.device)
        tgt = torch.zeros((len(rows), width), dtype=torch.long, device=self.device)
        for r, d in enumerate(rows):
            ids[r, : len(d.model_input)] = torch.tensor(d.model_input, device=self.device)
            tgt[r, : len(d.target_tokens)] = torch.tensor(d.target_tokens, device=self.device)
        logits = self.model(input_ids=ids, use_cache=False).logits.float()
        # Same value as log_softmax(logits)[target], without a second [rows, T, vocab] tensor.
        lp = logits.gather(-1, tgt[..., None]).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        return [lp[r, : len(d.model_input)] for r, d in enumerate(rows)]

    def forward_backward(self, datums: list[Datum], loss: Loss) -> dict:
        """Add this batch's loss gradients to the accumulated ones, one micro-batch at a time (gradients add up)."""
        with self.lock:
            # A call either adds all its gradients or none: on failure the accumulated ones are put back.
            saved = [None if p.grad is None else p.grad.clone() for p in self.params]
            try:
                total = 0.0
                stats = TokenStats()
                logprobs: list[list[float]] = [[] for _ in datums]
                for group in self._micro_batches(datums):
                    rows = [datums[i] for i in group]
                    group_loss = None
                    for i, d, lp in zip(group, rows, self._target_logprobs(rows)):
                        behaviour = torch.tensor(d.logprobs, device=self.device, dtype=torch.float32)
                        adv = torch.tensor(d.advantages, device=self.device, dtype=torch.float32)
                        value, s = token_loss(loss.name, lp, behaviour, adv, loss.clip_low, loss.clip_high)
                        if not torch.isfinite(value):
                            raise ProtocolError(
                                400,
                                "non_finite_loss",
                                f"datums[{i}]: the loss is {value.item()} (a ratio pi/mu overflowed: are the behaviour "
                                "logprobs those of this model's tokens?); no gradient of this call was kept",
                            )
                        if s.trained > 0:
                            group_loss = value if group_loss is None else group_loss + value
                        total += float(value.item())
                        stats.add(s)
                        logprobs[i] = lp.detach().cpu().double().tolist()
                    if group_loss is not None:
                        group_loss.backward()
            except BaseException:
                for p, g in zip(self.params, saved):
                    p.grad = g
                raise
            return {"loss": total, "logprobs": logprobs, "metrics": stats.metrics()}

    def optim_step(self, adam: Adam) -> dict:
        with self.lock:
            for g in self.optimizer.param_groups:
                g["lr"] = adam.lr
                g["betas"] = (adam.beta1, adam.beta2)
                g["eps"] = adam.eps
                g["weight_decay"] = adam.weight_decay
            with_grad = [p for p in self.params if p.grad is not None]
            if with_grad:
                limit = adam.max_grad_norm if adam.max_grad_norm is not None else float("inf")
                # clip_grad_norm_ returns the norm before clipping; with an infinite limit it only measures.
                grad_norm = float(torch.nn.utils.clip_grad_norm_(with_grad, limit).item())
            else:
                grad_norm = 0.0
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.version += 1
            return {"version": self.version, "gradNorm": grad_norm}

    # ---- checkpoints ----------------------------------------------------------------------------------------

    def _identity(self) -> dict:
        return {"model": self.model_path, "lora": {"r": self.lora.r, "alpha": self.lora.alpha, "targetModules": self.lora.target_modules}}

    def save_adapter(self, directory: Path) -> None:
        """The adapter alone, in PEFT's format (what vLLM's /v1/load_lora_adapter reads)."""
        self.model.save_pretrained(str(directory))

    def save(self, directory: str) -> dict:
        with self.lock:
            d = Path(directory)
            d.mkdir(parents=True, exist_ok=True)
            self.save_adapter(d / "adapter")
            torch.save(self.optimizer.state_dict(), d / "optimizer.pt")
            # Written last: a directory without it is an interrupted save.
            state = {"protocol": PROTOCOL, "version": self.version, **self._identity()}
            (d / "trainer-state.json").write_text(json.dumps(state, indent=2) + "\n")
            return {"version": self.version}

    def load(self, directory: str) -> dict:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        with self.lock:
            d = Path(directory)
            state_file = d / "trainer-state.json"
            if not state_file.is_file():
                raise ProtocolError(400, "checkpoint_not_found", f"{state_file} does not exist; pass a directory written by /save")
            state = json.loads(state_file.read_text())
            if state.get("lora") != self._identity()["lora"]:
                raise ProtocolError(
                    400,
                    "checkpoint_mismatch",
                    f"{directory} holds a LoRA adapter {state.get('lora')} but this server runs {self._identity()['lora']}; "
                    "restart the server with the checkpoint's --lora-r/--lora-alpha/--lora-targets",
                )
            weights = load_file(str(d / "adapter" / "adapter_model.safetensors"), device=str(self.device))
            result = set_peft_model_state_dict(self.model, weights)
            missing = [k for k in getattr(result, "missing_keys", []) if "lora_" in k]
            if missing:
                raise ProtocolError(400, "checkpoint_mismatch", f"{directory}: adapter lacks {len(missing)} LoRA tensors, e.g. {missing[0]}")
            opt = torch.load(d / "optimizer.pt", map_location=self.device, weights_only=True)
            self.optimizer.load_state_dict(opt)
            self.optimizer.zero_grad(set_to_none=True)
            self.version = int(state["version"])
            return {"version": self.version}
