"""Image loading for prepared data: every image is read, decoded once to prove it is an image, and
embedded as its original bytes (no re-encoding, so nothing is lost and preparing stays fast)."""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class EmbeddedImage:
    data: bytes
    width: int
    height: int


class ImageProblem(ValueError):
    """Why an image reference could not be embedded (the caller adds FILE:LINE)."""


def decode_check(data: bytes, what: str) -> EmbeddedImage:
    """Fully decode ``data`` (a truncated JPEG only fails on load) and return it with its size."""
    if not data:
        raise ImageProblem(f"image {what} is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            width, height = im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageProblem(f"image {what} cannot be decoded ({type(exc).__name__}: {exc})") from None
    if width < 1 or height < 1:
        raise ImageProblem(f"image {what} has no pixels ({width}x{height})")
    return EmbeddedImage(data, width, height)


def resolve_path(ref: str, base_dir: str, image_root: str | None, prefix_map: tuple[tuple[str, str], ...] = ()) -> str:
    """A local path from ``file:///abs``, ``/abs`` or a relative path (relative to ``image_root`` when
    given, else to the directory of the file that mentions it). ``prefix_map`` rewrites path prefixes
    first (``/mnt/authors/data`` -> ``/home/me/vermulti``), for files written on another machine."""
    path = ref[len("file://") :] if ref.startswith("file://") else ref
    for old, new in prefix_map:
        if path.startswith(old):
            path = new + path[len(old) :]
            break
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(image_root or base_dir, path))


def load_image(
    ref: Any, base_dir: str, image_root: str | None = None, prefix_map: tuple[tuple[str, str], ...] = ()
) -> EmbeddedImage:
    """Embed one image given as a path/URI string, raw bytes, a ``{"bytes", "path"}`` dict (Hugging Face's
    Image feature) or a PIL image."""
    if isinstance(ref, dict):
        if ref.get("bytes"):
            return decode_check(bytes(ref["bytes"]), f"bytes of {ref.get('path') or 'an embedded image'}")
        if ref.get("path"):
            return load_image(str(ref["path"]), base_dir, image_root, prefix_map)
        if ref.get("image") is not None:
            return load_image(ref["image"], base_dir, image_root, prefix_map)
        if isinstance(ref.get("url"), str):  # OpenAI {"url": ...}
            return load_image(ref["url"], base_dir, image_root, prefix_map)
        raise ImageProblem(f"image entry {sorted(ref)!r} has neither 'bytes' nor 'path'")
    if isinstance(ref, (bytes, bytearray, memoryview)):
        return decode_check(bytes(ref), "bytes")
    if isinstance(ref, Image.Image):
        buf = io.BytesIO()
        ref.save(buf, format="PNG")
        return EmbeddedImage(buf.getvalue(), ref.width, ref.height)
    if not isinstance(ref, str) or not ref.strip():
        raise ImageProblem(f"image reference {ref!r} is not a path, URI or bytes")
    ref = ref.strip()
    if ref.startswith(("http://", "https://")):
        raise ImageProblem(f"image {ref} is a remote URL; download the images first and point to local files")
    if ref.startswith("data:image"):
        _, _, payload = ref.partition("base64,")
        try:
            data = base64.b64decode(payload, validate=True)
        except ValueError:
            raise ImageProblem("image data URI is not valid base64") from None
        return decode_check(data, "data URI")
    path = resolve_path(ref, base_dir, image_root, prefix_map)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ImageProblem(
            f"image file not found: {path}"
            + (
                ""
                if image_root
                else " (relative paths are "
                "resolved against the input file's folder; pass --image-root DIR to change that, or "
                "--image-prefix-map OLD=NEW for absolute paths from another machine)"
            )
        ) from None
    except OSError as exc:
        raise ImageProblem(f"image file {path} cannot be read: {exc.strerror}") from None
    return decode_check(data, path)
