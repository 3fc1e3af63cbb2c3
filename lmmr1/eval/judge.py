"""Answer extraction by an LLM judge behind any OpenAI-compatible endpoint (``--judge URL``).

LMM-R1 extracted answers of MathVerse, MM-Star, MathVista and MathVision with Qwen2.5-14B-Instruct served
by vLLM's OpenAI-compatible server. lmmr1 sends the same kind of request (``POST {URL}/chat/completions``)
with the standard library only, at temperature 0, and records the judge's reply per item. MathVerse's
judge saw only the last 30 words of a response; that is kept.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Optional

from lmmr1.errors import UserError


class JudgeError(UserError, RuntimeError):
    """The judge endpoint failed or answered in an unexpected shape."""


@dataclass
class Judge:
    url: str
    model: str = "Qwen2.5-14B-Instruct"
    api_key: Optional[str] = None
    timeout_s: float = 120.0
    temperature: float = 0.0

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
        body = json.dumps(
            {
                "model": self.model,
                "temperature": self.temperature,
                "max_tokens": 64,
                "messages": [{"role": "user", "content": prompt}],
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                payload = json.loads(reply.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise JudgeError(f"judge at {self.endpoint} failed: {exc}") from exc
        try:
            text = str(payload["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError):
            raise JudgeError(
                f"judge at {self.endpoint} answered without choices[0].message.content: {str(payload)[:200]}"
            ) from None
        if not text or text.upper().strip(". ") == "NONE":
            return None
        return text.splitlines()[0].strip()
