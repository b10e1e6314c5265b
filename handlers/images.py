"""Finding the image(s) a message carries; fetching them is the FrameFetcher service's job."""

from __future__ import annotations

from telegram import Message

from bot.frame_fetcher import ImageProblem, ImageRef


def image_ref(message: Message) -> ImageRef | None:
    """The image a message carries (largest photo size, or an image document); None if it has none.

    Raises ImageProblem for attachments that are not usable images (a PDF, a sticker, a huge file).
    """
    if message.photo:
        largest = message.photo[-1]
        return ImageRef(largest.file_id, largest.file_size)
    document = message.document
    if document is not None:
        # Any image/* file is read by prepare_image, which converts what it can and names what it cannot.
        if not (document.mime_type or "").startswith("image/"):
            kind = document.mime_type or (document.file_name or "unknown")
            raise ImageProblem("file-not-image", kind=kind)
        return ImageRef(document.file_id, document.file_size)
    if message.sticker is not None:
        raise ImageProblem("sticker-not-supported")
    return None
