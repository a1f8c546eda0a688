"""Slugs of Chinese names: the archive filed every media under the pinyin of its name."""

from __future__ import annotations

import hashlib
import re

MAX_SLUG = 80


def media_slug(media: str) -> str:
    """The category of a media name: its pinyin, letters and digits only (青岛财经网 ->
    qingdaocaijingwang). Names with nothing pronounceable get a stable hash slug."""
    from pypinyin import lazy_pinyin  # imported lazily: its dictionaries are large

    slug = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(media)).lower())
    if slug:
        return slug[:MAX_SLUG]
    return "media-" + hashlib.sha1(media.encode("utf-8")).hexdigest()[:10]
