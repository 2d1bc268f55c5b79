"""Hostile-input guards for REFI-QDA files: zip archives (bombs, path traversal) and XML (DTDs, entities).

Nothing is extracted to disk: members are read into memory, counting the bytes actually inflated (never the
sizes the archive claims), and refused past the limits."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # everything inflated
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_RATIO = 200  # inflated / compressed, per member and overall (a text archive rarely passes 20)
SCHEMA_DIR = Path(__file__).parent / "schema"
_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class QdaError:
    file: str
    line: int
    where: str
    reason: str

    def __str__(self) -> str:
        at = f", line {self.line}" if self.line else ""
        where = f" ({self.where})" if self.where else ""
        return f"{self.file}{at}{where}: {self.reason}"


class QdaRejected(Exception):
    """The file was not imported; nothing was written."""

    def __init__(self, errors: list[QdaError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def _refuse(name: str, reason: str, where: str = "") -> QdaRejected:
    return QdaRejected([QdaError(name, 0, where, reason)])


def safe_member_name(member: str) -> bool:
    """A relative path without '..', drive letters, backslashes or a leading slash."""
    if not member or member.startswith(("/", "\\")) or "\\" in member or "\x00" in member:
        return False
    if re.match(r"^[A-Za-z]:", member):
        return False
    return all(part not in ("..",) for part in member.split("/"))


def read_zip(data: bytes, name: str) -> dict[str, bytes]:
    """Members of the archive by their path, refusing bombs and traversal before anything is used."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise _refuse(name, f"not a zip archive ({exc})") from None  # NotImplementedError: "zip file version 9.1"
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(name, f"the archive holds {len(infos)} files, more than {MAX_MEMBERS}")
    for info in infos:
        if not safe_member_name(info.filename):
            raise _refuse(name, "unsafe path in the archive (absolute or leaving the archive)", info.filename)
    members: dict[str, bytes] = {}
    total = 0
    compressed_total = sum(max(i.compress_size, 1) for i in infos)
    for info in infos:
        if info.is_dir():
            continue
        chunks = []
        size = 0
        try:
            with archive.open(info) as fh:
                while True:
                    chunk = fh.read(64 * 1024)
                    if not chunk:
                        break
                    size += len(chunk)
                    total += len(chunk)
                    if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                        raise _refuse(name, "the archive is too large once unpacked (a zip bomb?)", info.filename)
                    if size > 1024 * 1024 and size > MAX_RATIO * max(info.compress_size, 1):
                        raise _refuse(name, f"compression ratio above {MAX_RATIO}:1 (a zip bomb?)", info.filename)
                    chunks.append(chunk)
        except (  # bad CRC, encrypted, truncated, a negative seek (damaged header), unknown method, bad deflate data
            zipfile.BadZipFile,
            RuntimeError,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,
            zlib.error,
        ) as exc:
            raise _refuse(name, f"damaged archive member ({exc})", info.filename) from None
        members[info.filename] = b"".join(chunks)
    if total > 1024 * 1024 and total > MAX_RATIO * compressed_total:
        raise _refuse(name, f"compression ratio above {MAX_RATIO}:1 (a zip bomb?)")
    return members


def parse_xml(data: bytes, name: str) -> etree._ElementTree:
    """Parse without DTDs, entities or network: a document declaring any is refused outright."""
    if _DTD_RE.search(data):
        raise _refuse(name, "DOCTYPE and entity declarations are not accepted (entity expansion is refused)")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 0
        raise QdaRejected([QdaError(name, line, "", f"not well-formed XML ({exc.msg})")]) from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _refuse(name, "DOCTYPE and entity declarations are not accepted (entity expansion is refused)")
    return tree


_SCHEMAS: dict[str, etree.XMLSchema] = {}


def schema(kind: str) -> etree.XMLSchema:
    """The shipped REFI-QDA XSD ("Project" or "Codebook")."""
    if kind not in _SCHEMAS:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        _SCHEMAS[kind] = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / f"{kind}.xsd"), parser))
    return _SCHEMAS[kind]


def validate(tree: etree._ElementTree, kind: str, name: str) -> None:
    xsd = schema(kind)
    if not xsd.validate(tree):
        errors = [
            QdaError(name, e.line, "", f"not valid against the REFI-QDA {kind} schema: {e.message}")
            for e in list(xsd.error_log)[:50]
        ]
        raise QdaRejected(errors)
