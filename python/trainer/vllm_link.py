"""Hot-loading each new adapter into a vLLM server beside the trainer, so sampling at scale follows training.

vLLM must run with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True, and must be able to read the adapter
directory (same machine or shared filesystem). Adapter "<name>-v<N>" is the weights after N optimizer steps.
"""

from __future__ import annotations

import json
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .engine import Engine
from .protocol import ProtocolError


def _post(url: str, body: dict, timeout: float) -> None:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        detail = e.read().decode(errors="replace")[:500]
        raise ProtocolError(502, "vllm_adapter_load_failed", f"{url} answered {e.code}: {detail}") from e
    except (urllib.error.URLError, OSError) as e:
        raise ProtocolError(502, "vllm_unreachable", f"{url} is not reachable ({e}); is vLLM running with --enable-lora?") from e


class VllmLink:
    def __init__(self, url: str, adapter_name: str, adapter_dir: Path, keep: int = 4, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.name = adapter_name
        self.dir = adapter_dir
        self.keep = max(1, keep)
        self.timeout = timeout
        self.loaded: list[str] = []

    def adapter_name(self, version: int) -> str:
        return f"{self.name}-v{version}"

    def publish(self, engine: Engine, version: int) -> str:
        """Save the current adapter and load it into vLLM; older adapters beyond `keep` are unloaded (stale
        samplers may still be finishing on the last few)."""
        name = self.adapter_name(version)
        path = self.dir / name
        engine.save_adapter(path)
        try:
            _post(f"{self.url}/v1/load_lora_adapter", {"lora_name": name, "lora_path": str(path)}, self.timeout)
        except ProtocolError:
            shutil.rmtree(path, ignore_errors=True)  # never loaded, so nothing will unload and delete it
            raise
        self.loaded.append(name)
        while len(self.loaded) > self.keep:
            old = self.loaded.pop(0)
            try:
                _post(f"{self.url}/v1/unload_lora_adapter", {"lora_name": old}, self.timeout)
            except ProtocolError as e:
                print(f"[trainer] could not unload {old} from vLLM: {e.message}", file=sys.stderr, flush=True)
            shutil.rmtree(self.dir / old, ignore_errors=True)
        return name
