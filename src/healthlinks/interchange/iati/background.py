"""Read a large IATI file in a second process, so that parsing, the schema check and the mapping (one core) run
beside the matching and the database writes of the import (another core).

`BackgroundReader(path)` is used like `ActivityReader(path)`: it starts
``python -m healthlinks.interchange.iati.background PATH [--strict]``, which runs `ActivityReader` (no Django)
and writes the activities as a stream of pickled batches to its standard output; the importer reads them as they
come. Memory stays flat on both sides: the pipe holds a few batches at most. A refusal in the child (not
well-formed, strict schema error, ...) is raised in the importer as the same `FileRefused`; if the importer stops,
the child is killed. Pickles are only read from this child, which writes nothing else on its standard output."""

from __future__ import annotations

import pickle
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

BATCH = 100  # activities per pickle


class BackgroundReader:
    """The activities of the file at `path`, read by a child process."""

    def __init__(self, path: str, *, strict: bool = False) -> None:
        self.path = path
        self.strict = strict
        self.version = ""
        self.child_peak_mb = 0.0

    def __iter__(self) -> Iterator[Any]:
        from healthlinks.interchange.iati.reader import FileRefused

        command = [sys.executable, "-m", "healthlinks.interchange.iati.background", self.path]
        if self.strict:
            command.append("--strict")
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)  # noqa: S603 - our own module
            stream: IO[bytes] = child.stdout  # type: ignore[assignment]
            try:
                while True:
                    try:
                        record = pickle.load(stream)  # noqa: S301 - written by our own child process
                    except (EOFError, pickle.UnpicklingError):
                        child.wait()
                        errors.seek(0)
                        detail = errors.read().decode(errors="replace").strip().splitlines()
                        raise RuntimeError(
                            f"the process reading {self.path} stopped (status {child.returncode}): "
                            f"{detail[-1] if detail else 'no message'}"
                        ) from None
                    kind = record[0]
                    if kind == "batch":
                        yield from record[1]
                    elif kind == "version":
                        self.version = record[1]
                    elif kind == "refused":
                        raise FileRefused(record[1], record[2])
                    elif kind == "unreadable":
                        raise OSError(record[1])
                    elif kind == "done":
                        self.child_peak_mb = record[1]
                        return
            finally:
                if child.poll() is None:
                    child.kill()
                child.wait()
                stream.close()


def _send(out: IO[bytes], record: tuple[Any, ...]) -> None:
    pickle.dump(record, out, protocol=pickle.HIGHEST_PROTOCOL)


def main(argv: list[str] | None = None) -> int:
    from healthlinks.interchange.iati.reader import ActivityReader, FileRefused

    args = sys.argv[1:] if argv is None else argv
    path, strict = args[0], "--strict" in args[1:]
    out = sys.stdout.buffer
    reader = ActivityReader(path, strict=strict)
    batch: list[Any] = []
    version_sent = False
    try:
        try:
            for parsed in reader:
                if not version_sent:
                    _send(out, ("version", reader.version))
                    version_sent = True
                batch.append(parsed)
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
