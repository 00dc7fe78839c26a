"""Uploaded files: received in bounded memory (``uploads``), their type sniffed from their bytes (``sniffing``,
with ``containers`` for MP4 and WebM), images checked and re-encoded (``imaging``)."""
