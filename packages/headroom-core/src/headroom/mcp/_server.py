"""The MCP server itself: three tools over `headroom.compress_text` and `headroom.retrieve`.

Imported only by `headroom.mcp.create_server`, so ``import headroom.mcp`` works without the SDK.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from headroom import __version__
from headroom.api import compress_text, retrieve
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.mcp._stats import SavingsStats, Tally
from headroom.result import TextResult
from headroom.store import RefError, RefExpiredError, Store, StoreError
from headroom.tokens import get_tokenizer

COMPRESS_TOOL_NAME = "headroom_compress"
STATS_TOOL_NAME = "headroom_stats"

INSTRUCTIONS = (
    "Headroom compresses large content (logs, JSON, code, search results, diffs, web pages) and keeps "
    "every original retrievable. Text such as "
    "'[headroom: 185 of 200 rows omitted — errors kept; headroom_retrieve ref=7f3a9c2e41d0b5a6]' marks "
    f"what was left out: call {RETRIEVE_TOOL_NAME} with that ref (and optionally a query or a line range) "
    "when you need it. Such markers also come from the Headroom proxy; they redeem here."
)
COMPRESS_DESCRIPTION = (
    "Compress a large piece of content — a log, JSON, source file, search results, a diff, an HTML page — "
    "keeping what matters for the query (errors, relevant lines and rows, structure). What is left out is "
    f"replaced by markers naming a ref; {RETRIEVE_TOOL_NAME} brings the original back. Returns the "
    "compressed text, then a line with the token savings and the refs."
)
RETRIEVE_DESCRIPTION = (
    "Fetch content that Headroom left out. Markers like [headroom: ... headroom_retrieve ref=<ref>] say what "
    "was omitted. Pass the ref; optionally a query to get only matching lines/rows, or lines like '120-180' "
    "for a line range. Without either you get the whole original."
)
STATS_DESCRIPTION = (
    "Headroom's token savings: for this server process (session) and for every run that shared its "
    "Headroom home (lifetime). Compressions, tokens before/after, refs written, retrievals."
)

_NOT_FOUND_HINT = (
    "Copy the ref exactly from its marker. A ref written by another Headroom process (the proxy, "
    "`headroom compress`) redeems here only when that process used the same store (the same HEADROOM_HOME)."
)


class SavingsReport(BaseModel):
    """Counters of one scope, as `headroom_stats` reports them."""

    compressions: int
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    compression_ratio: float
    refs: int
    retrievals: int
    tokens_retrieved: int
    net_tokens_saved: int


class StatsReport(BaseModel):
    """The `headroom_stats` result."""

    session: SavingsReport
    lifetime: SavingsReport | None = Field(description="None when the lifetime counters cannot be read.")
    lifetime_note: str | None = Field(default=None, description="Why lifetime is missing or may be incomplete.")
    lifetime_file: str | None = None
    model: str = Field(description="The model whose tokenizer counts the tokens.")


def _summary(result: TextResult) -> str:
    block = result.block
    if not result.refs:
        why = block.status.replace("_", " ") if block else "empty"
        return f"headroom: kept as it is ({result.tokens_before:,} tokens; {why}) — nothing to retrieve."
    return (
        f"headroom: {result.tokens_before:,} → {result.tokens_after:,} tokens "
        f"(saved {result.tokens_saved:,}, {result.compression_ratio:.0%}); refs: {', '.join(result.refs)} — "
        f"pass a ref to {RETRIEVE_TOOL_NAME} for the original."
    )


def _ref_error(e: RefError) -> ToolError:
    hint = "The original is gone; produce the content again." if isinstance(e, RefExpiredError) else _NOT_FOUND_HINT
    return ToolError(f"{e}. {hint}")


def build_server(store: Store | None, *, model: str, stats: SavingsStats) -> MCPServer:
    """Build the server; see `headroom.mcp.create_server`."""
    tokenizer = get_tokenizer(model)
    server: MCPServer = MCPServer(
        "headroom",
        title="Headroom",
        instructions=INSTRUCTIONS,
        version=__version__,
        # The SDK configures root logging from this; keep INFO chatter off the client's stderr log.
        log_level="WARNING",
    )

    def headroom_compress(
        content: Annotated[str, Field(description="The content to compress, as text.")],
        query: Annotated[
            str | None, Field(description="What you are looking for; matching lines, rows and sections are kept.")
        ] = None,
    ) -> CallToolResult:
        try:
            result = compress_text(content, model=model, query=query, store=store)
        except (StoreError, ValueError) as e:
            raise ToolError(f"headroom could not compress the content: {e}") from None
        stats.record(
            Tally(
                compressions=1,
                tokens_before=result.tokens_before,
                tokens_after=result.tokens_after,
                refs=len(result.refs),
            )
        )
        meta = {
            "headroom/refs": result.refs,
            "headroom/tokens_before": result.tokens_before,
            "headroom/tokens_after": result.tokens_after,
        }
        blocks: list[ContentBlock] = [
            TextContent(type="text", text=result.text),
            TextContent(type="text", text=_summary(result)),
        ]
        return CallToolResult(content=blocks, _meta=meta)

    def headroom_retrieve(
        ref: Annotated[str, Field(description="The ref named in the marker.")],
        query: Annotated[str | None, Field(description="Only return lines or rows matching these words.")] = None,
        lines: Annotated[str | None, Field(description="A 1-based inclusive line range, e.g. '120-180'.")] = None,
    ) -> str:
        try:
            text = retrieve(ref, query=query or None, lines=lines or None, store=store)
        except RefError as e:
            raise _ref_error(e) from None
        except (StoreError, ValueError) as e:
            raise ToolError(str(e)) from None
        stats.record(Tally(retrievals=1, tokens_retrieved=tokenizer.count(text)))
        return text

    def headroom_stats() -> StatsReport:
        lifetime, note = stats.lifetime()
        return StatsReport(
            session=SavingsReport.model_validate(stats.session.report()),
            lifetime=SavingsReport.model_validate(lifetime.report()) if lifetime else None,
            lifetime_note=note,
            lifetime_file=str(stats.ledger.path) if stats.ledger else None,
            model=model,
        )

    server.add_tool(
        headroom_compress,
        name=COMPRESS_TOOL_NAME,
        title="Compress content",
        description=COMPRESS_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    # Plain text, not structured output: some clients show the model only the structured part,
    # and a JSON-escaped copy of the original would cost more tokens than the text itself.
    server.add_tool(
        headroom_retrieve,
        name=RETRIEVE_TOOL_NAME,
        title="Retrieve an original",
        description=RETRIEVE_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=True),
        structured_output=False,
    )
    server.add_tool(
        headroom_stats,
        name=STATS_TOOL_NAME,
        title="Token savings",
        description=STATS_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=True),
    )
    return server
