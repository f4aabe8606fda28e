"""Read and validate photos: EXIF orientation, bit depth, alpha, size limits, HEIC.

Every image leaves this module as an upright 8-bit BGR array (OpenCV's order), or as a
`PostureError` that says in one line what is wrong with it. Large photos are decoded at
reduced scale (longest side at most `DECODE_MAX_SIDE`): the model works at 1280 px, and a
64-megapixel photo decoded whole took the process past 1 GB.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from posture.core.errors import ImageReadError, ImageTooLargeError

#: Largest image we decode. A 24-megapixel camera photo is 6000x4000; 64 MP leaves room
#: while keeping a decoded RGB image under about 200 MB.
MAX_PIXELS = 64_000_000
#: Largest side we accept, whatever the pixel count (a 100000x10 strip is no photo).
MAX_SIDE = 20_000
#: Largest file we read into memory.
MAX_FILE_BYTES = 100 * 1024 * 1024
#: Smallest side that can hold a person the model can find.
MIN_SIDE = 32
#: Longest side of a decoded photo: twice the pipeline's working size (assessment.py's
#: WORKING_MAX_SIDE, 1280), so annotated images stay sharp. Larger photos are scaled down
#: while decoding; landmarks then refer to the decoded copy (`LoadedImage.scale` says by how much).
DECODE_MAX_SIDE = 2560
#: File types users may upload or pass on the command line (lower case, no dot). The app's
#: uploaders and every "accepted formats" text should use this tuple.
ACCEPTED_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "heic", "heif")
ACCEPTED_TEXT = "JPEG, PNG, WebP, BMP, TIFF or HEIC/HEIF"
#: What PIL calls those formats (MPO: the multi-picture JPEG many phones write). Decoding is
#: refused for anything else PIL happens to open (GIF, ICO, PPM, JPEG 2000...), so the text
#: above is the whole truth.
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "BMP", "DIB", "TIFF", "HEIF"})

# iPhone photos are HEIC: let PIL open HEIF files (header first, pixels on load, like any format).
pillow_heif.register_heif_opener()

_LIMIT_TEXT = f"is over the limit ({MAX_PIXELS // 1_000_000} megapixels, {MAX_SIDE} px a side)"

BGRImage = npt.NDArray[np.uint8]
ImageSource = str | Path | bytes | np.ndarray


@dataclass(frozen=True)
class LoadedImage:
    """An upright 8-bit BGR image and where it came from.

    `scale` is the original photo's pixels per pixel of `bgr` (1.0 unless a large photo was
    decoded at reduced size): landmarks found on `bgr` times `scale` are the photo's pixels.
    """

    bgr: BGRImage
    path: str | None
    exif_rotated: bool = False
    scale: float = 1.0

    @property
    def original_size(self) -> tuple[int, int]:
        """(width, height) of the upright photo as stored in the file."""
        return round(self.width * self.scale), round(self.height * self.scale)

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])


def load_image(source: ImageSource, *, name: str | None = None) -> LoadedImage:
    """Load a path, encoded bytes or an array into an upright BGR uint8 image."""
    if isinstance(source, np.ndarray):
        return LoadedImage(array_to_bgr(source), name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "uploaded image"
    else:
        path = Path(source)
        label = str(path)
        data = _read_file(path)
        name = name or str(path)
    return _decode(data, label, name)


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{path}: is a directory, not an image file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageTooLargeError(
                f"{path}: file is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB"
            )
        return path.read_bytes()
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _decode(data: bytes, label: str, name: str | None) -> LoadedImage:
    if not data:
        raise ImageReadError(f"{label}: file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLargeError(f"{label}: {len(data) / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    with warnings.catch_warnings():
        # PIL warns about large images; our own limits below decide, with a clear message.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageReadError(f"{label}: not an image ({ACCEPTED_TEXT} expected)") from None
        except Image.DecompressionBombError:
            raise ImageTooLargeError(f"{label}: declared size {_LIMIT_TEXT}; resize the photo first") from None
        except Exception:  # PIL raises many kinds on malformed headers; their text means nothing to a user
            raise ImageReadError(f"{label}: not a readable image (the file is damaged or incomplete)") from None
        if img.format not in ACCEPTED_FORMATS:
            raise ImageReadError(f"{label}: {img.format} images are not accepted ({ACCEPTED_TEXT} expected)")
        # The header is read; the pixels are not. Refuse bombs before decoding.
        width, height = img.size
        check_dimensions(width, height, label)
        if max(width, height) > DECODE_MAX_SIDE:
            # JPEG only: decode at 1/2, 1/4 or 1/8 scale, the smallest that keeps the longest side
            # at DECODE_MAX_SIDE or more (a no-op for other formats).
            f = DECODE_MAX_SIDE / max(width, height)
            img.draft(None, (math.ceil(width * f), math.ceil(height * f)))
        try:
            img.load()
        except Image.DecompressionBombError:
            raise ImageTooLargeError(f"{label}: declared size {_LIMIT_TEXT}; resize the photo first") from None
        except Exception:  # truncated / corrupt data (PIL's own text names its internals)
            raise ImageReadError(f"{label}: image data is corrupt or truncated (the file may not have been copied "
                                 "whole; try exporting the photo again)") from None
        # HEIF: libheif has already turned the pixels upright and reset the tag; it keeps the original.
        orientation = img.info.get("original_orientation") or img.getexif().get(0x0112, 1)
    upright = ImageOps.exif_transpose(_reduce(img))
    bgr = _fit_side(pil_to_bgr(upright), DECODE_MAX_SIDE)
    scale = max(width, height) / max(bgr.shape[:2])
    return LoadedImage(bgr, name, exif_rotated=orientation not in (1, None), scale=scale)


#: Modes PIL's `reduce` handles (the rest are converted at full size, then scaled).
_REDUCIBLE = {"L", "LA", "RGB", "RGBA", "RGBX", "I", "F", "I;16", "I;16L", "I;16B", "CMYK"}


def _reduce(img: Image.Image) -> Image.Image:
    """A whole-factor box reduction of a decoded image still at least twice DECODE_MAX_SIDE
    (formats without reduced decoding), so the conversions after it copy less."""
    factor = max(img.size) // DECODE_MAX_SIDE
    if factor < 2 or img.mode not in _REDUCIBLE:
        return img
    info, exif = img.info, img.getexif()
    small = img.reduce(factor)
    small.info.update(info)
    if exif:
        small.info["exif"] = exif.tobytes()  # orientation must survive for exif_transpose
    return small


def _fit_side(bgr: BGRImage, max_side: int) -> BGRImage:
    """Scale down (area average) so the longest side is at most `max_side`."""
    longest = max(bgr.shape[:2])
    if longest <= max_side:
        return bgr
    import cv2

    f = max_side / longest
    size = (max(1, round(bgr.shape[1] * f)), max(1, round(bgr.shape[0] * f)))
    return np.ascontiguousarray(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def check_dimensions(width: int, height: int, label: str) -> None:
    """Refuse images too large to decode safely or too small to hold a person."""
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{label}: image has no pixels")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLargeError(f"{label}: {width}x{height} pixels {_LIMIT_TEXT}; resize the photo first")
    if min(width, height) < MIN_SIDE:
        raise ImageReadError(f"{label}: {width}x{height} pixels is too small to assess (min {MIN_SIDE} px a side)")


def pil_to_bgr(img: Image.Image) -> BGRImage:
    """Any PIL mode (1, L, P, I;16, I, F, LA, RGBA, CMYK, ...) to 8-bit BGR."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        return array_to_bgr(_stretch_to_uint8(arr, 65535.0 if mode.startswith("I;16") else None))
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        # Transparent areas become mid-grey: neither white nor black biases the detector.
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        rgb = Image.alpha_composite(background, rgba).convert("RGB")
    else:
        rgb = img.convert("RGB")
    arr = np.asarray(rgb, dtype=np.uint8)
    return np.ascontiguousarray(arr[:, :, ::-1])


def _stretch_to_uint8(arr: npt.NDArray[np.float64], full_scale: float | None) -> npt.NDArray[np.uint8]:
    if full_scale is None:
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        full_scale = hi if hi > 255 else 255.0
        arr = arr - min(lo, 0.0)
    return np.clip(np.round(arr / full_scale * 255.0), 0, 255).astype(np.uint8)


def array_to_bgr(arr: np.ndarray) -> BGRImage:
    """Validate an in-memory image (gray, BGR or BGRA; uint8, uint16 or float) as BGR uint8."""
    if not isinstance(arr, np.ndarray) or arr.size == 0:
        raise ImageReadError("image array is empty")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageReadError(f"image array must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    check_dimensions(int(arr.shape[1]), int(arr.shape[0]), "image array")
    if arr.dtype == np.uint16:
        arr = (arr.astype(np.float64) / 65535.0 * 255.0).round().astype(np.uint8)
    elif arr.dtype.kind == "f":
        scale = 255.0 if float(np.nanmax(arr)) <= 1.0 else 1.0
        arr = np.clip(np.nan_to_num(arr) * scale, 0, 255).round().astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise ImageReadError(f"image array dtype {arr.dtype} is not supported (uint8, uint16 or float)")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float64) / 255.0
        arr = (arr[:, :, :3] * alpha + 128.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(arr)


def encode_jpeg(bgr: BGRImage, quality: int = 90) -> bytes:
    """JPEG bytes of a BGR image (for embedding in reports and storage)."""
    rgb = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def encode_png(bgr: BGRImage) -> bytes:
    rgb = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
    buf = io.BytesIO()
    rgb.save(buf, format="PNG")
    return buf.getvalue()


@dataclass(frozen=True)
class CameraExif:
    """What a photo's EXIF says about the camera that took it (all optional)."""

    focal_35mm: float | None = None
    focal_mm: float | None = None
    lens_model: str = ""
    make: str = ""

    @property
    def front_camera(self) -> bool:
        """A selfie (front) camera, whose app may have mirrored the picture (iPhones name the
        lens e.g. "iPhone 12 front camera 2.71mm f/2.2")."""
        return "front" in self.lens_model.lower()


def read_camera_exif(source: ImageSource) -> CameraExif:
    """Camera EXIF of a path or encoded bytes; empty for arrays or unreadable metadata."""
    if isinstance(source, np.ndarray):
        return CameraExif()
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            img = Image.open(io.BytesIO(bytes(source)))
        else:
            img = Image.open(Path(source))
        with img, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" and the like: metadata is optional
            exif = img.getexif()
            sub = exif.get_ifd(0x8769) or {}
    except Exception:  # metadata is optional; the pixels were validated elsewhere
        return CameraExif()

    def num(tag: int) -> float | None:
        value = sub.get(tag, exif.get(tag))
        try:
            out = float(value) if value is not None else None
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        return out if out and out > 0 else None

    lens = sub.get(0xA434, "")  # LensModel
    return CameraExif(num(0xA405), num(0x920A), str(lens).strip("\x00 "), str(exif.get(0x010F, "")).strip("\x00 "))
