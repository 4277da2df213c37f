"""One LiteLLM request: compressing it once, and its savings in LiteLLM's metadata.

LiteLLM hands hooks a dict of the request's parameters (``kwargs`` in the SDK, ``data`` in the proxy).
Everything here returns a new request dict and leaves the caller's messages alone; the one thing
written in place is the request's LiteLLM metadata dict (see `metadata_of`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from headroom import CompressOptions, CompressResult, Store, compress_request

from headroom_litellm._api import METADATA_KEYS, Api, items_key
from headroom_litellm._expand import expand_retrievals

__all__ = ["compress_call", "follow_up_metadata", "metadata_of", "record_stats"]

log = logging.getLogger("headroom_litellm")

DIGEST_KEY = "headroom_digest"
"""Metadata key holding the digest of the messages Headroom last sent, so a retry is not compressed twice."""
CALL_ID_KEY = "headroom_call_id"
"""Metadata key naming the LiteLLM call the recorded savings belong to."""


def metadata_of(kwargs: MutableMapping[str, Any], api: Api) -> dict[str, Any]:
    """The request's LiteLLM metadata dict, created when missing.

    ``/v1/messages`` and ``/v1/responses`` requests keep LiteLLM's metadata under ``litellm_metadata``
    (``metadata`` is a field of those APIs, sent to the provider). An existing dict is returned as is, not copied:
    the proxy and LiteLLM's logging object hold references to it, so writes must land in that object.
    """
    keys = METADATA_KEYS[api]
    for key in keys:
        existing = kwargs.get(key)
        if isinstance(existing, dict):
            return existing
    created: dict[str, Any] = {}
    kwargs[keys[0]] = created
    return created


def _digest(messages: object) -> str:
    raw = json.dumps(messages, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def compress_call(
    kwargs: MutableMapping[str, Any],
    api: Api,
    *,
    store: Store | None,
    options: CompressOptions,
) -> tuple[dict[str, Any], CompressResult | None]:
    """Compress one request's messages; returns ``(new_kwargs, result)``.

    ``result`` is None when nothing was done: no message list, or these exact messages were already
    compressed by Headroom for this request (LiteLLM runs the deployment hook once per retry and the
    proxy runs both of its hooks; compression output is stable, so doing it again would only cost
    time). When markers were written, ``headroom_retrieve`` is added to the request's tools and the
    savings are recorded in the request's metadata (see `record_stats`).
    """
    key = items_key(api)
    messages = kwargs.get(key)
    if not isinstance(messages, list) or not messages:
        return dict(kwargs), None
    metadata = metadata_of(kwargs, api)
    if metadata.get(DIGEST_KEY) == _digest(messages):
        return dict(kwargs), None
    body = {**kwargs, key: expand_retrievals(messages, api, store)}
    if not isinstance(body.get("tools"), list):
        body.pop("tools", None)  # LiteLLM passes tools=None; compress_request wants a list or nothing
    new_body, result = compress_request(body, api=api, store=store, options=options)
    out = {**kwargs, **new_body}
    metadata[DIGEST_KEY] = _digest(out[key])
    record_stats(metadata, result, call_id=kwargs.get("litellm_call_id"))
    return out, result


def record_stats(metadata: dict[str, Any], result: CompressResult, *, call_id: object = None) -> None:
    """Write the savings into LiteLLM's request metadata, where its logging and spend tracking read them.

    * ``spend_logs_metadata["headroom"]``: tokens before/after/saved, ratio, refs, per-request; it is
      part of the StandardLoggingPayload every LiteLLM logger receives (``payload["metadata"]``) and of
      the proxy's spend logs.
    * ``compression_savings``: LiteLLM's own per-request savings record, summed by the proxy's
      daily-spend views.

    Within one call (``call_id``, LiteLLM's ``litellm_call_id``), a later pass that saved less (the
    same messages already compressed, in another format) never overwrites the first one; a metadata
    dict the caller reuses for another call gets that call's numbers.
    """
    spend = metadata.get("spend_logs_metadata")
    spend = dict(spend) if isinstance(spend, Mapping) else {}
    previous = spend.get("headroom")
    previous = previous if isinstance(previous, Mapping) else {}
    same_call = metadata.get(CALL_ID_KEY) == call_id
    if same_call and previous.get("tokens_saved", 0) > result.tokens_saved:
        return
    metadata[CALL_ID_KEY] = call_id
    saved = max(result.tokens_saved, 0)
    after = result.tokens_before - saved
    spend["headroom"] = {
        **previous,
        "tokens_before": result.tokens_before,
        "tokens_after": after,
        "tokens_saved": saved,
        "compression_ratio": round(saved / result.tokens_before, 4) if result.tokens_before else 0.0,
        "refs": list(result.refs),
        "blocks_compressed": sum(1 for b in result.blocks if b.status == "compressed"),
        "tokenizer": result.tokenizer,
        "seconds": round(result.seconds, 4),
    }
    metadata["spend_logs_metadata"] = spend
    metadata["compression_savings"] = {
        "tokens_before": result.tokens_before,
        "tokens_after": after,
        "tokens_saved": saved,
        "source": "headroom",
    }
    log.debug("headroom: %d -> %d tokens (%d refs)", result.tokens_before, after, len(result.refs))


def follow_up_metadata(metadata: Mapping[str, Any], retrievals: int) -> dict[str, Any]:
    """The metadata for a retrieval follow-up call: a copy whose savings record says what it is.

    LiteLLM logs the follow-up as a call of its own. The savings belong to the request that was
    compressed, so the follow-up records none of them (only how many retrievals it answers), and
    sums over logged calls stay honest.
    """
    out = {k: v for k, v in metadata.items() if k not in (DIGEST_KEY, CALL_ID_KEY, "compression_savings")}
    spend = out.get("spend_logs_metadata")
    spend = dict(spend) if isinstance(spend, Mapping) else {}
    spend["headroom"] = {"tokens_saved": 0, "retrievals": retrievals}
    out["spend_logs_metadata"] = spend
    return out
