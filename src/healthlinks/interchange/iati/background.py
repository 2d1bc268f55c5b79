"""Read a large IATI file in a second process, so that parsing, the schema check and the mapping (one core) run
beside the matching and the database writes of the import (another core).

`BackgroundReader(path)` is used like `ActivityReader(path)`: it starts
``python -m healthlinks.interchange.iati.background PATH [--strict]``, which runs `ActivityReader` (no Django)
and writes the activities as a stream of batches to its standard output (each a length and a pickle of the
batch). Each activity crosses as its JSON text (`reader.json_text`, written once, in the child), which the
importer hashes for its change digest and reads back with `json.loads` when it takes it: the reading process is
the one with the least time to spare (on a file whose organisations are known). Measured on real activities,
writing the JSON text costs the reading process 0.08 ms an activity, and hashing and reading it back the importer
0.08 ms, where a `marshal` dump (whose format may change from one Python version to the next, so that it cannot
be hashed) cost 0.04 and 0.07 ms; around those texts, pickle and marshal write and read a batch in under 2
microseconds an activity. The importer reads the batches as they come and keeps them as bytes until it takes
them: Python's collector does not go over bytes, while AHEAD batches of unpacked activities (a million small
objects) made its collections take a tenth of the importer's CPU. Memory stays flat on both sides: the importer
holds at most AHEAD batches read ahead. A refusal in the child (not well-formed, strict schema error, ...) is
raised in the importer as the same `FileRefused`; if the importer stops, the child is killed. Records are only
read from this child, which writes nothing else on its standard output."""

from __future__ import annotations

import json
import pickle
import queue
import resource
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

BATCH = 100  # activities per record
SIZE = 8  # bytes of a record's length
AHEAD = 20  # batches the child may read ahead of the importer's writes (2,000 activities, about 20 MB)


class BackgroundReader:
    """The activities of the file at `path`, read by a child process."""

    def __init__(self, path: str, *, strict: bool = False) -> None:
        self.path = path
        self.strict = strict
        self.version = ""
        self.child_peak_mb = 0.0

    def __iter__(self) -> Iterator[Any]:
        from healthlinks.interchange.iati.reader import FileRefused, Issue, ParsedActivity, text_digest

        command = [sys.executable, "-m", "healthlinks.interchange.iati.background", self.path]
        if self.strict:
            command.append("--strict")
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)  # noqa: S603 - our own module
            stream: IO[bytes] = child.stdout  # type: ignore[assignment]
            _widen(stream.fileno())
            records: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=AHEAD)
            stop = threading.Event()
            pump = threading.Thread(target=_pump, args=(stream, records, stop), name="iati-reader-pipe", daemon=True)
            pump.start()
            try:
                while True:
                    record = records.get()
                    if record[0] == "data":
                        record = pickle.loads(record[1])  # noqa: S301 - written by our own child process
                    kind = record[0]
                    if kind == "batch":
                        for line, identifier, text, warnings, skip_reason in record[1]:
                            digest = text_digest(text, self.version) if not skip_reason else ""
                            yield ParsedActivity(
                                line, identifier, json.loads(text), [Issue(*w) for w in warnings], skip_reason, digest
                            )
                    elif kind == "version":
                        self.version = record[1]
                    elif kind == "refused":
                        raise FileRefused(record[1], record[2])
                    elif kind == "unreadable":
                        raise OSError(record[1])
                    elif kind == "done":
                        self.child_peak_mb = record[1]
                        return
                    else:  # the pipe ended without "done"
                        child.wait()
                        errors.seek(0)
                        detail = errors.read().decode(errors="replace").strip().splitlines()
                        raise RuntimeError(
                            f"the process reading {self.path} stopped (status {child.returncode}): "
                            f"{detail[-1] if detail else 'no message'}"
                        )
            finally:
                stop.set()
                if child.poll() is None:
                    child.kill()
                child.wait()
                pump.join(timeout=10)
                stream.close()


PIPE_BYTES = 4 * 1024 * 1024  # asked for; Linux gives up to /proc/sys/fs/pipe-max-size (1 MB by default)


def _widen(fd: int) -> None:
    """Widen the pipe from the child (Linux; elsewhere it keeps its size). A pipe holds 64 kB, a tenth of a batch:
    the child waited for the pump thread at every 64 kB, and that thread waits for this process's interpreter
    lock, held by the importer for up to 5 ms at a time (the switch interval); the child was blocked about a
    fifth of the time. With room for a batch or two it writes on while the importer works."""
    try:
        import fcntl

        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, min(PIPE_BYTES, limit))
    except (ImportError, AttributeError, OSError, ValueError):  # not Linux, or not allowed: the default pipe
        pass


def _pump(stream: IO[bytes], records: queue.Queue[tuple[Any, ...]], stop: threading.Event) -> None:
    """Drain the child's pipe into `records` as fast as it writes, up to AHEAD batches: a pipe holds 64 KB, less than
    one batch, so without this the child waited for every database write of the importer (wall time was the sum
    of both processes' CPU time instead of the larger of the two)."""
    while not stop.is_set():
        try:
            size = stream.read(SIZE)
            expected = int.from_bytes(size, "big") if len(size) == SIZE else 0
            data = stream.read(expected) if expected else b""
            # a record cut short (the child died while writing it) ends the stream like the end of the pipe
            record = ("data", data) if data and len(data) == expected else ("stopped",)
        except (EOFError, OSError, ValueError, TypeError):
            record = ("stopped",)
        while not stop.is_set():
            try:
                records.put(record, timeout=0.2)
                break
            except queue.Full:
                continue
        if record[0] == "stopped":  # the child wrote its last record ("done", "refused", ...) and ended
            return


def _send(out: IO[bytes], record: tuple[Any, ...]) -> None:
    data = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(SIZE, "big"))
    out.write(data)


def main(argv: list[str] | None = None) -> int:
    from healthlinks.interchange.iati.reader import ActivityReader, FileRefused

    args = sys.argv[1:] if argv is None else argv
    path, strict = args[0], "--strict" in args[1:]
    out = sys.stdout.buffer
    reader = ActivityReader(path, strict=strict, keep_text=True)  # the importer hashes the text (it has time to)
    batch: list[Any] = []
    version_sent = False
    try:
        try:
            for parsed in reader:
                if not version_sent:
                    _send(out, ("version", reader.version))
                    version_sent = True
                batch.append(
                    (
                        parsed.line,
                        parsed.identifier,
                        parsed.text,
                        [(w.line, w.activity, w.rule, w.message) for w in parsed.warnings],
                        parsed.skip_reason,
                    )
                )
                if len(batch) >= BATCH:
                    _send(out, ("batch", batch))
                    batch = []
            _send(out, ("batch", batch))
            _send(out, ("done", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)))
        except FileRefused as exc:
            _send(out, ("refused", exc.line, exc.reason))
        except BrokenPipeError:
            raise
        except OSError as exc:
            _send(out, ("unreadable", str(exc)))
        out.flush()
    except BrokenPipeError:  # the importer stopped: nothing more to do
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
