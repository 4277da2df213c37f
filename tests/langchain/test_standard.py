"""LangChain's own standard unit suite for chat models (langchain-tests), serialization included.

The wrapped model is a real ``ChatOpenAI`` with a fake key: the unit suite builds models, binds
tools, asks for structured output and round-trips ``dumpd``/``load``; it never calls the network.
"""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest
from headroom import CompressOptions
from headroom_langchain import HeadroomChatModel
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd, load
from langchain_openai import ChatOpenAI
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

KEY = "sk-fake-key-for-unit-tests"


class TestHeadroomChatModelStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[HeadroomChatModel]:
        return HeadroomChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": ChatOpenAI(model="gpt-4o", api_key=KEY), "options": CompressOptions(min_tokens=100)}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        # test_serdes loads the inner ChatOpenAI back, which reads its key from the environment.
        return {"OPENAI_API_KEY": KEY}, {"model": ChatOpenAI(model="gpt-4o", api_key=KEY)}, {"model_name": None}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @pytest.mark.xfail(
        reason="langchain-tests 1.1.9 loads with allowed_objects='all', which langchain-core 1.7 limits to the "
        "classes in langchain's own mapping: no class outside langchain's packages passes it as written. "
        "test_serdes_with_an_allowlist runs the same assertions with an explicit allowlist.",
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)

    def test_serdes_with_an_allowlist(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        """The standard test_serdes's assertions (snapshot of ``dumpd``; equal after ``load``)."""
        env_params, _, _ = self.init_from_env_params
        with mock.patch.dict(os.environ, env_params):
            assert dumpd(model) == snapshot(name="serialized")
            loaded = load(
                dumpd(model),
                valid_namespaces=model.get_lc_namespace()[:1],
                allowed_objects=[HeadroomChatModel, ChatOpenAI],
                secrets_from_env=True,
            )
            assert model.model_dump() == loaded.model_dump()


def test_a_loaded_model_keeps_its_inner_model_and_options() -> None:
    options = CompressOptions(min_tokens=100, level="safe")
    model = HeadroomChatModel(model=ChatOpenAI(model="gpt-4o-mini", api_key=KEY), options=options, retrieve_rounds=1)
    data = dumpd(model)
    assert data["id"] == ["headroom_langchain", "HeadroomChatModel"]
    assert KEY not in str(data)  # the inner model's key is a secret reference, not its value
    loaded = load(
        data,
        valid_namespaces=["headroom_langchain"],
        allowed_objects=[HeadroomChatModel, ChatOpenAI],
        secrets_map={"OPENAI_API_KEY": KEY},
    )
    assert isinstance(loaded, HeadroomChatModel) and isinstance(loaded.model, ChatOpenAI)
    assert (loaded.options, loaded.retrieve_rounds, loaded.model.model_name) == (options, 1, "gpt-4o-mini")
