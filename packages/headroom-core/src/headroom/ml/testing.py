"""Tiny, randomly initialised models built offline, for testing the ML backend without real weights.

No trained prompt-compression weights ship anywhere (../shared/notes/MODELS.md §1), so the loader,
windows, word aggregation and fallbacks are tested on models built here from a config: a WordPiece
tokenizer trained on a small text with the ``tokenizers`` library, and a 2-layer encoder with 32
hidden units. `headroom doctor --text-model FOLDER` works on them too. Their scores mean nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from headroom.ml import _deps

Arch = Literal["bert", "xlm-roberta", "modernbert"]

SAMPLE_TEXT = """\
The deployment failed because the migration timed out after 300 seconds on the orders table.
Retrying with a smaller batch size fixed it, and the service has been healthy since 14:02 UTC.
ERROR connection refused while reading the configuration from the primary database replica.
Headroom keeps the sentences that matter for the task and leaves the rest in a store.
A marker names the reference, so the model can fetch the original text when it needs it.
The observatory was founded in 1911 and its archive holds about 60,000 glass plates.
Users report that the new release is faster, uses less memory and starts in under a second.
"""
_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_tokenizer(text: str = SAMPLE_TEXT, vocab_size: int = 400) -> Any:
    """A BERT-style fast tokenizer (WordPiece, lower-cased) trained on ``text``; deterministic."""
    tokenizers, tf = _deps._import("tokenizers", _deps.ML_INSTALL), _deps.transformers()
    tok = tokenizers.Tokenizer(tokenizers.models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    tok.decoder = tokenizers.decoders.WordPiece()
    trainer = tokenizers.trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=_SPECIAL, show_progress=False)
    tok.train_from_iterator(text.splitlines(), trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    return tf.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )


def _config(arch: Arch, vocab: int, tokenizer: Any, **extra: Any) -> Any:
    tf = _deps.transformers()
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "pad_token_id": tokenizer.pad_token_id,
        **extra,
    }
    if arch == "bert":
        return tf.BertConfig(max_position_embeddings=512, **common)
    if arch == "xlm-roberta":
        return tf.XLMRobertaConfig(max_position_embeddings=514, **common)
    return tf.ModernBertConfig(
        max_position_embeddings=1024,
        cls_token_id=tokenizer.cls_token_id,
        sep_token_id=tokenizer.sep_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        **common,
    )


def _build(folder: str | Path, arch: Arch, seed: int, auto: str, **extra: Any) -> Path:
    torch, tf = _deps.torch(), _deps.transformers()
    tokenizer = tiny_tokenizer()
    config = _config(arch, len(tokenizer), tokenizer, **extra)
    with torch.random.fork_rng(devices=[]):  # seeded weights, without touching the caller's RNG
        torch.manual_seed(seed)
        model = getattr(tf, auto).from_config(config)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def tiny_token_classifier(folder: str | Path, *, arch: Arch = "bert", seed: int = 0) -> Path:
    """Save a random 2-label token classifier (``arch``) and its tokenizer to ``folder``; return it."""
    return _build(folder, arch, seed, "AutoModelForTokenClassification", num_labels=2)


def tiny_encoder(folder: str | Path, *, seed: int = 0) -> Path:
    """Save a random BERT encoder (no head) and its tokenizer to ``folder``; return it."""
    return _build(folder, "bert", seed, "AutoModel")
