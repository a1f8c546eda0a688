"""Decoding Chinese pages that do not say their charset (or say it wrong)."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Response, TextResponse
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(resolve_encoding(encoding) or encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


class EncodingFallbackMiddleware:
    """Decode Chinese pages right when their charset is missing or wrong.

    Scrapy decodes with the header charset, a BOM or <meta charset>, and otherwise guesses
    statistically, which reads a short GBK page as Korean (cp949) without a trace. Here an
    undeclared body that is not valid UTF-8 is read as GB18030 (the superset of GBK and
    GB2312) when it decodes cleanly as such, and so is a body its declared charset cannot
    decode (a GBK page labelled UTF-8). Valid, declared pages pass untouched; binary bodies
    (NUL bytes under a non-text content type) stay binary.
    """

    FALLBACKS = ("utf-8", "gb18030")
    TEXTUAL = ("text/", "json", "xml", "javascript", "html")

    def process_response(self, request, response, spider=None):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        body = response.body
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if b"\x00" in body[:4096] and not any(kind in content_type for kind in self.TEXTUAL):
            # An image or archive Scrapy sniffed as text (by the URL's .html): keep it binary,
            # so it fails as "not a text response" instead of as an odd page.
            return Response(
                url=response.url,
                status=response.status,
                headers=response.headers,
                body=body,
                flags=response.flags,
                request=response.request,
                ip_address=response.ip_address,
                protocol=response.protocol,
            )
        declared = self.declared_encoding(response)
        if declared and _decodes(body, declared):
            return response
        for encoding in self.FALLBACKS:
            if _decodes(body, encoding):
                return response.replace(encoding=encoding)
        return response

    @staticmethod
    def declared_encoding(response: TextResponse) -> str | None:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        bom, _ = read_bom(response.body)
        declared = bom or http_content_type_encoding(content_type)
        if not declared and isinstance(response, HtmlResponse):
            declared = html_body_declared_encoding(response.body)
        return declared
