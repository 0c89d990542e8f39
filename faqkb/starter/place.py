"""Files put into a folder a team owns: all of them or none, and never over an existing file.

They are written into a temporary folder beside the target first (swept by the next writer
if this one was killed, :func:`faqkb.pipeline.outputs.new_temp`), then moved in: an
interrupted write leaves no half-written file in the target. A file that exists already
refuses the whole lot before anything is written; one that appears while the files are
moved in stops the move and takes back what was moved (hard links, not renames, for files:
a link never replaces what is there).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from faqkb.errors import FaqkbError
from faqkb.pipeline.outputs import MARKER, new_temp


def clashes(target: Path, files: dict[str, str]) -> list[str]:
    """The paths (relative to ``target``) that writing ``files`` would overwrite, or that
    cannot be written because a file stands where a folder must be."""
    out: list[str] = []
    for rel in files:
        parts = Path(rel).parts
        for i in range(1, len(parts) + 1):
            here = target.joinpath(*parts[:i])
            last = i == len(parts)
            if os.path.lexists(here) and (last or not here.is_dir()):
                out.append(Path(*parts[:i]).as_posix())
                break
    return sorted(set(out))


def _move_in(src: Path, dest: Path, moved: list[Path], skip: Path) -> None:
    for child in sorted(src.iterdir()):
        if child == skip:
            continue
        there = dest / child.name
        if child.is_dir() and there.is_dir():
            _move_in(child, there, moved, skip)
            continue
        if os.path.lexists(there):
            raise FileExistsError(str(there))
        if child.is_dir():
            child.rename(there)  # onto nothing (checked just above): a folder of ours, whole
        else:
            try:
                os.link(child, there)  # unlike a rename, a link never replaces what is there
            except FileExistsError:
                raise FileExistsError(str(there)) from None
        moved.append(there)


def place_files(target: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (relative path -> text) into ``target`` (made if missing); the paths
    written. A FaqkbError (exit 2), with nothing written, if any of them exists."""
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise FaqkbError(f"{target} is a file, not a folder; choose a folder")
    found = clashes(target, files)
    if found:
        raise FaqkbError(f"{target} already has {', '.join(found)}; nothing was written (faqkb never "
                         "overwrites a file: move them away or choose another folder)")
    made_target = not target.exists()
    try:
        tmp = new_temp(target)
    except PermissionError:
        raise FaqkbError(f"cannot write in {target.parent}: faqkb writes the files beside {target.name} "
                         "first, then moves them in; run it where you may write, or make the folder "
                         "writable") from None
    moved: list[Path] = []
    try:
        for rel, text in files.items():
            staged = tmp / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(text, "utf-8")
        target.mkdir(parents=True, exist_ok=True)
        try:
            _move_in(tmp, target, moved, tmp / MARKER)
        except FileExistsError as exc:
            raise FaqkbError(f"{exc}: a file appeared there while faqkb was writing; nothing was "
                             "written") from None
    except BaseException:
        for path in reversed(moved):  # only what this call moved in
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        if made_target:
            with contextlib.suppress(OSError):
                target.rmdir()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sorted(target / rel for rel in files)
