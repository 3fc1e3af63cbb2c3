"""Answer extraction by an LLM judge behind any OpenAI-compatible endpoint (``--judge URL``).

LMM-R1 extracted answers of MathVerse, MM-Star, MathVista and MathVision with Qwen2.5-14B-Instruct served
by vLLM's OpenAI-compatible server. lmmr1 sends the same kind of request (``POST {URL}/chat/completions``)
with the standard library only, at temperature 0, and records the judge's reply per item. MathVerse's
judge saw only the last 30 words of a response; that is kept.

A judge is a remote service, so every call is bounded: ``timeout_s`` per request and ``retries`` more tries
(after 1 s, 2 s, ...) on a connection error, a timeout, HTTP 429 or 5xx; any other HTTP error stops at once.
Verdicts are cached in the output folder (``judge_cache.jsonl``, one line per question asked, written as soon
as the answer arrives), so a resumed or repeated run never asks the same question twice; ``calls``,
``cache_hits`` and ``seconds`` go into the summary.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from lmmr1.errors import UserError
from lmmr1.jsonl import read_jsonl


class JudgeError(UserError, RuntimeError):
    """The judge endpoint failed or answered in an unexpected shape."""


@dataclass
class Judge:
    url: str
    model: str = "Qwen2.5-14B-Instruct"
    api_key: Optional[str] = None
    timeout_s: float = 60.0
    temperature: float = 0.0
    retries: int = 2
    backoff_s: float = 1.0
    cache_path: Optional[Path] = None
    calls: int = 0
    cache_hits: int = 0
    retried: int = 0
    seconds: float = 0.0
    _cache: dict[str, Optional[str]] = field(default_factory=dict, repr=False)

    def use_cache(self, path: Path) -> None:
        """Read earlier verdicts from ``path`` and append new ones to it."""
        self.cache_path = path
        self._cache = {}
        # a torn last line of a killed run is left out: that question is asked again
        for entry in read_jsonl(path):
            if "key" in entry:
                self._cache[str(entry["key"])] = entry.get("verdict")

    def stats(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "url": self.url,
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "retries": self.retried,
            "seconds": round(self.seconds, 2),
        }

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def extract(
        self, instruction: str, question: str, response: str, last_words: Optional[int] = None
    ) -> Optional[str]:
        """The judge's extracted answer, or None when it answers NONE."""
        shown = response
        if last_words is not None:
            shown = " ".join(response.split()[-last_words:])
        prompt = f"{instruction}\n\nQuestion:\n{question}\n\nResponse:\n{shown}\n\nExtracted answer:"
        return self._cached(json.dumps([self.model, self.temperature, prompt]), prompt)

    def ask_cached(self, prompt: str, max_tokens: int = 64) -> Optional[str]:
        """The judge's first reply line to ``prompt`` as it stands (a search's comparisons, VRC-Bench's step
        scores), cached like :meth:`extract`'s verdicts."""
        return self._cached(json.dumps([self.model, self.temperature, "ask", max_tokens, prompt]), prompt, max_tokens)

    def _cached(self, identity: str, prompt: str, max_tokens: int = 64) -> Optional[str]:
        key = hashlib.sha256(identity.encode()).hexdigest()
        if key in self._cache:
            self.cache_hits += 1
            return self._cache[key]
        verdict = self._ask(prompt, max_tokens)
        self._cache[key] = verdict
        if self.cache_path is not None:
            with open(self.cache_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, "verdict": verdict}) + "\n")
        return verdict

    def _ask(self, prompt: str, max_tokens: int = 64) -> Optional[str]:
        body = json.dumps(
            {
                "model": self.model,
                "temperature": self.temperature,
                "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": prompt}],
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        payload: Any = None
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                    payload = json.loads(reply.read().decode())
                break
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500 or attempt == self.retries:
                    raise JudgeError(f"judge at {self.endpoint} failed: HTTP {exc.code} {exc.reason}") from None
            except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
                if attempt == self.retries:
                    raise JudgeError(
                        f"judge at {self.endpoint} failed after {attempt + 1} tries: {exc} "
                        "(--judge-timeout / --judge-retries bound each question)"
                    ) from None
            self.retried += 1
            time.sleep(self.backoff_s * (attempt + 1))
        self.calls += 1
        self.seconds += time.perf_counter() - started
        try:
            text = str(payload["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError):
            raise JudgeError(
                f"judge at {self.endpoint} answered without choices[0].message.content: {str(payload)[:200]}"
            ) from None
        if not text or text.upper().strip(". ") == "NONE":
            return None
        return text.splitlines()[0].strip()
