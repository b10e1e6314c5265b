from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from bot.gateway.catalog import Orientation
from bot.media.images import (
    MAX_INPUT_BYTES,
    ImageError,
    PreparedImage,
    prepare_image,
)
from tests.fakes.media import make_image


def _decode(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


def _error_code(data: bytes, **options: object) -> str:
    with pytest.raises(ImageError) as caught:
        prepare_image(data, **options)  # type: ignore[arg-type]
    return caught.value.code


def test_a_fitting_jpeg_comes_back_untouched() -> None:
    data = make_image(width=640, height=480, fmt="JPEG")

    prepared = prepare_image(data)

    assert prepared.data is data
    assert (prepared.mime_type, prepared.width, prepared.height) == ("image/jpeg", 640, 480)
    assert prepared.orientation == "landscape"


def test_a_fitting_png_comes_back_untouched() -> None:
    data = make_image(width=300, height=400, fmt="PNG")

    prepared = prepare_image(data)

    assert prepared.data is data
    assert prepared.mime_type == "image/png"
    assert prepared.orientation == "portrait"


def test_an_oversized_png_is_shrunk_and_reencoded_under_the_byte_cap() -> None:
    data = _encode(_noise(1200, 900), "PNG")
    assert len(data) > 1_000_000

    prepared = prepare_image(data, max_bytes=150_000, max_side=1024)

    assert len(prepared.data) <= 150_000
    assert prepared.mime_type == "image/jpeg"
    assert max(prepared.width, prepared.height) <= 1024
    assert prepared.width / prepared.height == pytest.approx(1200 / 900, rel=0.02)
    decoded = _decode(prepared)
    assert decoded.format == "JPEG"
    assert decoded.size == (prepared.width, prepared.height)


def test_a_long_side_over_max_side_is_scaled_down_keeping_the_shape() -> None:
    data = make_image(width=2600, height=1000, fmt="PNG", color=(10, 200, 30))

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (2048, 788)
    decoded = _decode(prepared)
    assert _close(decoded.getpixel((1000, 400)), (10, 200, 30))


def test_webp_becomes_jpeg_when_webp_is_not_allowed() -> None:
    data = make_image(width=200, height=300, fmt="WEBP", color=(30, 60, 220))

    prepared = prepare_image(data, allowed_mime_types=("image/jpeg", "image/png"))

    assert prepared.mime_type == "image/jpeg"
    decoded = _decode(prepared)
    assert decoded.format == "JPEG"
    assert decoded.size == (200, 300)
    assert _close(decoded.getpixel((100, 150)), (30, 60, 220))


def test_webp_is_kept_as_is_when_allowed() -> None:
    data = make_image(width=200, height=300, fmt="WEBP")

    prepared = prepare_image(data, allowed_mime_types=("image/jpeg", "image/png", "image/webp"))

    assert prepared.data is data
    assert prepared.mime_type == "image/webp"


def test_png_is_the_output_when_jpeg_is_not_allowed() -> None:
    data = make_image(width=200, height=300, fmt="WEBP")

    prepared = prepare_image(data, allowed_mime_types=("image/png",))

    assert prepared.mime_type == "image/png"
    assert _decode(prepared).format == "PNG"


def test_the_real_format_wins_over_what_the_caller_allows() -> None:
    png = make_image(width=200, height=300, fmt="PNG")

    prepared = prepare_image(png, allowed_mime_types=("image/jpeg",))

    assert prepared.mime_type == "image/jpeg"
    assert _decode(prepared).format == "JPEG"


def test_exif_orientation_is_applied() -> None:
    stored = Image.new("RGB", (200, 100), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 100, 100))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    data = _encode(stored, "JPEG", exif=exif, quality=95)

    prepared = prepare_image(data)

    assert (prepared.width, prepared.height) == (100, 200)
    assert prepared.orientation == "portrait"
    upright = _decode(prepared)
    assert upright.size == (100, 200)
    assert _close(upright.getpixel((50, 20)), (255, 0, 0), tolerance=30)  # the left side is now on top
    assert _close(upright.getpixel((50, 180)), (0, 0, 255), tolerance=30)
    assert upright.getexif().get(0x0112, 1) == 1


def test_transparent_png_is_flattened_on_white_when_converted_to_jpeg() -> None:
    rgba = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    rgba.paste((200, 0, 0, 255), (0, 0, 64, 128))  # opaque red on the left, transparent on the right

    prepared = prepare_image(_encode(rgba, "PNG"), allowed_mime_types=("image/jpeg",))

    assert prepared.mime_type == "image/jpeg"
    flat = _decode(prepared)
    assert flat.mode == "RGB"
    assert _close(flat.getpixel((20, 64)), (200, 0, 0))
    assert _close(flat.getpixel((110, 64)), (255, 255, 255))


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"0" * 400,
        b"Just a caption, not a picture." * 20,
        b"",
        bytes(range(256)) * 40,
    ],
    ids=["pdf", "text", "empty", "noise"],
)
def test_non_images_are_refused(data: bytes) -> None:
    assert _error_code(data) == "not_an_image"


def test_a_damaged_jpeg_is_refused() -> None:
    data = _encode(_noise(300, 300), "JPEG")

    assert _error_code(data[: len(data) // 2]) == "damaged"


def test_an_animated_gif_is_refused_as_animated() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)

    assert _error_code(data) == "animated"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "AVIF"])
def test_still_gif_bmp_tiff_and_avif_are_converted_to_jpeg(fmt: str) -> None:
    Image.init()
    if fmt not in Image.SAVE:  # AVIF support arrived in Pillow 11.3: an older one cannot make the test image
        pytest.skip(f"this Pillow cannot write {fmt}")
    data = _encode(Image.new("RGB", (120, 100), (200, 40, 40)), fmt)

    prepared = prepare_image(data)

    assert (prepared.mime_type, prepared.width, prepared.height) == ("image/jpeg", 120, 100)
    assert _close(_decode(prepared).getpixel((60, 50)), (200, 40, 40), tolerance=20)


def test_an_animated_webp_is_refused_as_animated() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)

    assert _error_code(data, allowed_mime_types=("image/jpeg", "image/webp")) == "animated"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "HEIC"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100"/>', "SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect/></svg>", "SVG"),
        (_encode(Image.new("RGB", (100, 100)), "ICO"), "ICO"),
    ],
    ids=["heic", "svg-xml", "svg", "ico"],
)
def test_other_formats_are_refused_by_name(data: bytes, name: str) -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(data)

    assert (caught.value.code, caught.value.format_name) == ("unsupported_format", name)


@pytest.mark.parametrize(("width", "height"), [(32, 32), (63, 200), (150, 40)])
def test_tiny_images_are_too_small(width: int, height: int) -> None:
    assert _error_code(make_image(width=width, height=height, fmt="PNG")) == "too_small"


def test_sixty_four_pixels_is_just_enough() -> None:
    assert prepare_image(make_image(width=64, height=64)).width == 64


def test_more_than_twenty_megabytes_is_too_large() -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(MAX_INPUT_BYTES)

    assert _error_code(data) == "too_large"


def test_too_many_pixels_is_too_large_before_decoding() -> None:
    data = _encode(Image.new("1", (8000, 6000)), "PNG")

    assert _error_code(data) == "too_many_pixels"


def test_a_decompression_bomb_is_refused_for_its_pixels() -> None:
    # A 1-bit PNG of 20000 x 20000 (400 megapixels) compresses to a few kilobytes.
    data = _encode(Image.new("1", (20000, 20000)), "PNG")

    assert len(data) < 100_000
    assert _error_code(data) == "too_many_pixels"


def test_a_truncated_png_is_damaged_not_a_crash() -> None:
    data = _encode(_noise(200, 200), "PNG")

    assert _error_code(data[: len(data) // 2]) == "damaged"
    assert _error_code(data[:-2000]) == "damaged"


def test_a_png_with_a_corrupt_chunk_is_damaged() -> None:
    data = bytearray(_encode(_noise(200, 200), "PNG"))
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)

    assert _error_code(bytes(data)) == "damaged"


def test_sixteen_bit_grayscale_keeps_its_tones_when_reencoded() -> None:
    gray = Image.new("I;16", (300, 200), 32768)  # mid-gray in 16 bits

    prepared = prepare_image(_encode(gray, "PNG"), max_side=100)

    pixel = _decode(prepared).convert("L").getpixel((20, 20))
    assert isinstance(pixel, int) and 118 <= pixel <= 138


def test_grayscale_and_cmyk_jpegs_lose_their_old_profile_when_reencoded() -> None:
    from PIL import ImageCms

    gray_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    gray = _encode(Image.new("L", (300, 200), 90), "JPEG", icc_profile=gray_profile)
    cmyk = _encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG", icc_profile=gray_profile)

    for data in (gray, cmyk):
        prepared = prepare_image(data, max_side=100)
        image = _decode(prepared)
        assert image.mode == "RGB"
        assert "icc_profile" not in image.info
    assert _close(_decode(prepare_image(cmyk, max_side=100)).getpixel((10, 10)), (255, 0, 0), tolerance=40)


@pytest.mark.parametrize(("width", "height"), [(12000, 100), (100, 1200), (801, 200)])
def test_extreme_aspect_ratios_are_refused(width: int, height: int) -> None:
    assert _error_code(make_image(width=width, height=height, fmt="PNG")) == "extreme_aspect"


def test_four_to_one_is_still_accepted() -> None:
    assert prepare_image(make_image(width=800, height=200, fmt="PNG")).width == 800


def test_the_minimum_side_is_checked_after_the_resize() -> None:
    # 4000 x 1000 fits 4:1, but at max_side 200 its short side would be 50 px.
    data = make_image(width=4000, height=1000, fmt="JPEG")

    assert _error_code(data, max_side=200) == "too_small"
    assert prepare_image(data, max_side=400).height == 100 * 4 // 4


def test_a_camera_mpo_is_accepted_as_its_first_picture() -> None:
    first = Image.new("RGB", (160, 120), (20, 200, 20))
    second = Image.new("RGB", (160, 120), (200, 20, 20))
    data = _encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    prepared = prepare_image(data)

    assert (prepared.mime_type, prepared.width, prepared.height) == ("image/jpeg", 160, 120)
    assert _close(_decode(prepared).getpixel((80, 60)), (20, 200, 20), tolerance=20)


def test_a_cap_no_image_can_meet_is_too_large() -> None:
    data = _encode(_noise(400, 400), "PNG")

    assert _error_code(data, max_bytes=300) == "too_large"


def test_error_messages_are_plain_sentences() -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(b"%PDF-1.4 not an image")

    assert str(caught.value) == "This file is not an image."


def test_an_allow_list_without_writable_formats_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="image/gif"):
        prepare_image(make_image(width=100, height=100), allowed_mime_types=("image/gif",))


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [(1920, 1080, "landscape"), (1080, 1920, "portrait"), (512, 512, "portrait")],
)
def test_orientation(width: int, height: int, expected: str) -> None:
    assert Orientation.of(width, height) == expected
