"""The token-summed policy-gradient losses of the trainer protocol (docs/trainer-protocol.md).

With r = exp(logpi - logmu) per token (logmu: the behaviour logprob recorded at sampling time):
- importance_sampling: -sum r * A
- ppo:                 -sum min(r * A, clip(r, 1 - clipLow, 1 + clipHigh) * A)
Only tokens with a non-zero advantage take part, so prompt positions (advantage 0) never train and never count in
the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

LOSSES = ("importance_sampling", "ppo")


@dataclass
class TokenStats:
    """Sums over trained tokens, added up across datums before the metrics are formed."""

    trained: int = 0
    clipped: int = 0
    ratio_sum: float = 0.0
    kl_sum: float = 0.0

    def add(self, other: "TokenStats") -> None:
        self.trained += other.trained
        self.clipped += other.clipped
        self.ratio_sum += other.ratio_sum
        self.kl_sum += other.kl_sum

    def metrics(self) -> dict:
        n = self.trained
        return {
            "trainedTokens": n,
            "clipFraction": self.clipped / n if n else 0.0,
            "meanRatio": self.ratio_sum / n if n else 0.0,
            "kl": self.kl_sum / n if n else 0.0,
        }


def token_loss(
    name: str,
    logprobs: torch.Tensor,
    behaviour: torch.Tensor,
    advantages: torch.Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
) -> tuple[torch.Tensor, TokenStats]:
    """Loss (a scalar with gradient through `logprobs`) and statistics of one sequence; all inputs are 1-D float."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}")
    mask = advantages != 0
    log_ratio = torch.where(mask, logprobs - behaviour, torch.zeros_like(logprobs))
    ratio = torch.exp(log_ratio)
    if name == "importance_sampling":
        per_token = ratio * advantages
    else:
        clipped = torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high)
        per_token = torch.minimum(ratio * advantages, clipped * advantages)
    loss = -(per_token * mask).sum()

    with torch.no_grad():
        r = ratio[mask].double()
        lr = log_ratio[mask].double()
        stats = TokenStats(
            trained=int(mask.sum().item()),
            clipped=int(((r < 1.0 - clip_low) | (r > 1.0 + clip_high)).sum().item()),
            ratio_sum=float(r.sum().item()),
            # k3 estimator of KL(mu || pi): E_mu[r - 1 - log r], always >= 0.
            kl_sum=float((r - 1.0 - lr).sum().item()),
        )
    return loss, stats
