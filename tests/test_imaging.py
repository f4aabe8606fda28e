"""Reading photos: formats, EXIF, bit depths, alpha, and every kind of bad input."""

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from posture.core.errors import ImageReadError, ImageTooLargeError
from posture.core.image.imaging import array_to_bgr, load_image

PHOTO = "standing_back_01.jpg"


@pytest.fixture(scope="module")
def rgb(data_dir):
    return np.asarray(Image.open(data_dir / PHOTO).convert("RGB"))


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF"])
def test_formats_load_as_bgr(rgb, fmt):
    data = _encode(Image.fromarray(rgb), fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    img = load_image(data)
    assert img.bgr.shape == rgb.shape and img.bgr.dtype == np.uint8
    # BGR order: the blue channel of the result is the red channel's complement, not red.
    assert np.abs(img.bgr[..., ::-1].astype(int) - rgb.astype(int)).mean() < 4


def test_exif_orientation_is_applied(rgb, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(path, quality=95, exif=exif.tobytes())
    img = load_image(path)
    assert img.exif_rotated
    assert (img.height, img.width) == (rgb.shape[1], rgb.shape[0])
    expected = np.rot90(rgb, k=-1)  # 90 deg clockwise
    assert np.abs(img.bgr[..., ::-1].astype(int) - expected.astype(int)).mean() < 4


def test_grayscale_alpha_and_16_bit(rgb):
    gray = Image.fromarray(rgb).convert("L")
    g = load_image(_encode(gray, "PNG")).bgr
    assert g.shape == rgb.shape and (g[..., 0] == g[..., 2]).all()

    rgba = Image.fromarray(rgb).convert("RGBA")
    a = np.asarray(rgba).copy()
    a[:10, :10, 3] = 0  # transparent corner becomes neutral grey
    out = load_image(_encode(Image.fromarray(a), "PNG")).bgr
    assert out.shape == rgb.shape and (out[0, 0] == 128).all()

    sixteen = (np.asarray(gray).astype(np.uint16) * 257)
    s = load_image(_encode(Image.fromarray(sixteen), "PNG")).bgr
    assert np.abs(s[..., 0].astype(int) - np.asarray(gray).astype(int)).max() <= 1


def test_arrays_of_other_types():
    assert array_to_bgr(np.zeros((40, 50), np.uint16)).shape == (40, 50, 3)
    assert array_to_bgr(np.ones((40, 50, 3), np.float32)).max() == 255
    with pytest.raises(ImageReadError, match="dtype int64"):
        array_to_bgr(np.zeros((40, 50, 3), np.int64))
    with pytest.raises(ImageReadError, match="HxW, HxWx3 or HxWx4"):
        array_to_bgr(np.zeros((40, 50, 2), np.uint8))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jpg", "no such file"),
        (lambda p: p, "is a directory"),
        (lambda p: _write(p / "empty.jpg", b""), "file is empty"),
        (lambda p: _write(p / "notes.jpg", b"these are my notes, not a photo\n" * 10), "not an image"),
    ],
)
def test_unreadable_inputs(tmp_path, make, message):
    with pytest.raises(ImageReadError, match=message):
        load_image(make(tmp_path))


def test_truncated_jpeg(tmp_path, data_dir):
    data = (data_dir / PHOTO).read_bytes()
    with pytest.raises(ImageReadError, match="corrupt or truncated"):
        load_image(_write(tmp_path / "cut.jpg", data[: len(data) // 3]))


def test_tiny_image_refused():
    with pytest.raises(ImageReadError, match="too small"):
        load_image(_encode(Image.new("RGB", (10, 10)), "PNG"))


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height, with a tiny compressed body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")


def test_decompression_bomb_refused_before_decoding():
    bomb = _png_bomb(30_000, 3_000)  # 90 MP: over our limit, under PIL's own
    assert len(bomb) < 200
    tracemalloc.start()
    with pytest.raises(ImageTooLargeError, match="30000x3000 pixels is over the limit"):
        load_image(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000  # decoding would need 270 MB
    with pytest.raises(ImageTooLargeError, match="is over the limit"):
        load_image(_png_bomb(60_000, 60_000))  # PIL's own guard fires first: same message


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


# --- HEIC / HEIF (iPhone photos) -----------------------------------------------------------


def _heic(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="HEIF", quality=95, **kw)
    return buf.getvalue()


def test_heic_photo_loads_like_the_jpeg(rgb):
    data = _heic(Image.fromarray(rgb))
    assert data[4:12] == b"ftypheic"  # a real HEIC container, as an iPhone writes
    img = load_image(data, name="IMG_0001.HEIC")
    assert img.bgr.shape == rgb.shape and not img.exif_rotated
    assert np.abs(img.bgr[..., ::-1].astype(int) - rgb.astype(int)).mean() < 4


def test_heic_exif_orientation_is_honoured(rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display", as a phone held upright writes
    img = load_image(_heic(Image.fromarray(rgb), exif=exif.tobytes()))
    upright = np.asarray(Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_270))
    assert img.bgr.shape == upright.shape != rgb.shape and img.exif_rotated
    assert np.abs(img.bgr[..., ::-1].astype(int) - upright.astype(int)).mean() < 4


def test_heic_size_limit_checked_from_the_header_before_decoding(rgb, monkeypatch):
    import pillow_heif.as_plugin

    import posture.core.image.imaging

    decoded = []
    real_load = pillow_heif.as_plugin._LibHeifImageFile.load
    monkeypatch.setattr(pillow_heif.as_plugin._LibHeifImageFile, "load", lambda self: decoded.append(1) or real_load(self))
    data = _heic(Image.fromarray(rgb))  # 768x432
    monkeypatch.setattr(posture.core.image.imaging, "MAX_SIDE", 700)
    with pytest.raises(ImageTooLargeError, match="768x432 pixels is over the limit"):
        load_image(data, name="big.heic")
    assert decoded == []
    monkeypatch.setattr(posture.core.image.imaging, "MAX_SIDE", 20_000)
    load_image(data)
    assert decoded  # the spy does see decoding when it happens


def test_accepted_extensions_all_open(rgb, tmp_path):
    from posture.core.image.imaging import ACCEPTED_EXTENSIONS

    formats = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "bmp": "BMP", "tif": "TIFF",
               "tiff": "TIFF", "heic": "HEIF", "heif": "HEIF"}
    assert set(ACCEPTED_EXTENSIONS) == set(formats)
    for ext in ACCEPTED_EXTENSIONS:
        path = tmp_path / f"photo.{ext}"
        Image.fromarray(rgb).save(path, format=formats[ext])
        assert load_image(path).bgr.shape == rgb.shape, ext


# --- large photos: decoded at reduced scale -----------------------------------------------


def _upscaled(rgb: np.ndarray, factor: int) -> Image.Image:
    img = Image.fromarray(rgb)
    return img.resize((img.width * factor, img.height * factor), Image.Resampling.BICUBIC)


def test_large_jpeg_is_decoded_small_with_its_scale(rgb):
    from posture.core.image.imaging import DECODE_MAX_SIDE

    big = _upscaled(rgb, 8)  # 6144x3456, 21 MP
    data = _encode(big, "JPEG", quality=85)
    img = load_image(data)
    assert max(img.bgr.shape[:2]) == DECODE_MAX_SIDE
    assert img.scale == pytest.approx(6144 / DECODE_MAX_SIDE)
    assert img.original_size == big.size
    # The same picture, not a crop or a distortion: compare with a plain resize of the original.
    reference = np.asarray(Image.fromarray(rgb).resize((img.width, img.height), Image.Resampling.LANCZOS))
    assert np.abs(img.bgr[..., ::-1].astype(int) - reference.astype(int)).mean() < 6


def test_large_photo_keeps_exif_orientation_and_upright_original_size(rgb):
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 90 CCW to display"
    for fmt in ("JPEG", "PNG"):  # reduced decoding (JPEG) and reduction after decoding (PNG)
        img = load_image(_encode(_upscaled(rgb, 8), fmt, exif=exif.tobytes()))
        assert img.exif_rotated and img.original_size == (3456, 6144), fmt
        assert img.height > img.width
        upright = np.asarray(Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_90).resize((img.width, img.height)))
        assert np.abs(img.bgr[..., ::-1].astype(int) - upright.astype(int)).mean() < 6, fmt


def test_small_photo_is_not_rescaled(rgb):
    img = load_image(_encode(Image.fromarray(rgb), "JPEG", quality=95))
    assert img.scale == 1.0 and img.original_size == (rgb.shape[1], rgb.shape[0])
