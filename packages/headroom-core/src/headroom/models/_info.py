"""ModelInfo: one model's limits and list prices."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelInfo"]

_PER_MTOK = 1_000_000


@dataclass(frozen=True)
class ModelInfo:
    """Context limits and list prices of one model.

    Prices are USD per million tokens. A ``None`` cache price means the provider charges no separate
    rate for it (OpenAI and Gemini have no cache-write charge; models without caching have neither):
    `cost` bills those tokens at the input price.

    Attributes:
        name: the registry's name for the model (the entry that matched, e.g. ``gpt-4o-mini`` for
            ``azure/gpt-4o-mini-2024-07-18``).
        provider: whose list price this is: ``openai``, ``anthropic``, ``google``, ``mistral``,
            ``deepseek``, ``meta``, ``qwen``, or what an override file says.
        context_window: tokens of input and output together that one request may hold.
        max_output: the most output tokens one response may have.
        input_per_mtok: price of regular (uncached) input tokens.
        output_per_mtok: price of output tokens (reasoning tokens included).
        cache_read_per_mtok: price of input tokens read from the prompt cache.
        cache_write_per_mtok: price of input tokens written to the prompt cache (Anthropic: the
            5-minute write; a 1-hour write costs more, pass it as an override if you use it).
        max_input: where the provider caps input below ``context_window`` (gpt-5: 272k of 400k).
        by_family: ``True`` when the name asked for is not in the table and this is the newest
            entry of its family at or below its version (``claude-opus-4-8`` → ``claude-opus-4-7``,
            ``gpt-6.2-sol`` → ``gpt-5.5``): limits and prices are that model's, an estimate.
        known: ``False`` only for the stand-in that `ModelRegistry.get_or_default` returns for a model
            it does not know; its prices are zero and `cost` returns ``None``.
    """

    name: str
    provider: str
    context_window: int
    max_output: int
    input_per_mtok: float
    output_per_mtok: float
    cache_read_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None
    max_input: int | None = None
    by_family: bool = False
    known: bool = True

    def input_limit(self, output_reserve: int = 0) -> int:
        """The most input tokens a request may carry while leaving ``output_reserve`` for the reply.

        Args:
            output_reserve: tokens kept free for the response (e.g. the request's ``max_tokens``).

        Returns:
            ``context_window - output_reserve``, capped at ``max_input`` where the provider has one,
            and never below zero.
        """
        if output_reserve < 0:
            raise ValueError(f"output_reserve must be >= 0, got {output_reserve}")
        limit = self.context_window - output_reserve
        if self.max_input is not None:
            limit = min(limit, self.max_input)
        return max(limit, 0)

    def cost(
        self,
        *,
        input_tokens: int,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float | None:
        """List-price cost of one request in USD.

        The four counts are disjoint, as in Anthropic's ``usage``: ``input_tokens`` are the uncached
        ones. OpenAI's ``prompt_tokens`` *include* the cached ones, so pass
        ``input_tokens=prompt_tokens - cached_tokens, cache_read_tokens=cached_tokens``.

        Args:
            input_tokens: uncached input tokens.
            output_tokens: output tokens, reasoning included.
            cache_read_tokens: input tokens read from the prompt cache.
            cache_write_tokens: input tokens written to the prompt cache.

        Returns:
            The cost in USD, or ``None`` for a stand-in of an unknown model (``known=False``).

        Raises:
            ValueError: a count is negative.
        """
        counts = (input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
        if any(n < 0 for n in counts):
            raise ValueError(f"token counts must be >= 0, got {counts}")
        if not self.known:
            return None
        read = self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        write = self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        total = (
            input_tokens * self.input_per_mtok
            + output_tokens * self.output_per_mtok
            + cache_read_tokens * read
            + cache_write_tokens * write
        )
        return total / _PER_MTOK
