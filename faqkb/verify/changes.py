"""``faqkb verify --changed-since REV``: which entries a change since REV can have affected.

Two sources, each entry picked by the first rule that holds (and told which):

- git (``git diff -M`` from the merge base of REV and HEAD to the working tree, plus untracked
  files): an entry file added, edited or renamed (followed: the new id is verified, the old
  one reported), its ``<id>.snap`` edited; a deleted entry is reported, not verified. A change
  that can affect any entry picks *all* of them: a file under the snippets folder (snippets
  source each other), the MkDocs config (``tools``, ``reader_dir``... are plugin options) or
  faqkb's own result-making code when it lives in the same repository
  (:data:`faqkb.verify.cache.RESULT_CODE`).
- the result cache: an entry whose stored result was made with other inputs than it would
  be now (:func:`faqkb.verify.verifier.entry_keys`: faqkb's version and code, the versions
  of the tools it uses, the sandbox mode, its snippets): what git cannot see, such as a new
  curl on the CI runner or an upgraded faqkb. The workflow keeps the cache between runs.

git is run with a timeout, an explicit environment and its own process group.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from faqkb._util import SYSTEM_PATH
from faqkb.errors import EXIT_INVALID, FaqkbError
from faqkb.model import SNAP_SUFFIX, KnowledgeBase
from faqkb.proc import spawn
from faqkb.project import Project
from faqkb.verify.cache import RESULT_CODE, ResultCache

GIT_TIMEOUT = 60.0
_PACKAGE = Path(__file__).resolve().parent.parent


class ChangesError(FaqkbError):
    """Not a git repository, an unknown REV, git missing: bad usage (exit 2)."""

    exit_code = EXIT_INVALID


@dataclass
class Selection:
    """The entries to verify, each with the rule that picked it, and the deleted ones."""

    rev: str
    #: Entry id -> why it is verified, in id order.
    picked: dict[str, str] = field(default_factory=dict)
    #: Deleted entry id -> the file it was in (relative to the repository).
    deleted: dict[str, str] = field(default_factory=dict)
    #: Set when a change picked every entry: what changed.
    everything: str | None = None

    def lines(self) -> list[str]:
        """What the command prints: one line per picked or deleted entry."""
        out = [f"  {eid}: {why}" for eid, why in self.picked.items()]
        return out + [f"  {eid}: deleted ({path}); nothing to verify" for eid, path in self.deleted.items()]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git") or shutil.which("git", path=SYSTEM_PATH)
    if git is None:
        raise ChangesError("--changed-since needs git, which is not installed here")
    # Only what git needs: no GIT_DIR or GIT_INDEX_FILE of a hook that runs us leaks in; HOME
    # keeps the user's safe.directory setting (a CI checkout owned by another user).
    env = {"PATH": SYSTEM_PATH, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0",
           **{k: os.environ[k] for k in ("HOME",) if k in os.environ}}
    try:
        return spawn.run([git, *args], timeout=GIT_TIMEOUT, cwd=root, env=env, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise ChangesError(f"git {args[0]} took more than {GIT_TIMEOUT:g} s in {root}") from None


def git_toplevel(start: Path) -> Path:
    """The root of the git work tree holding ``start``; ChangesError outside one."""
    res = _git(start, "rev-parse", "--show-toplevel")
    if res.returncode != 0:
        raise ChangesError(f"{start} is not in a git repository; --changed-since REV compares "
                           "with a git revision (run `git init` and commit, or drop the option)")
    return Path(os.fsdecode(res.stdout.strip())).resolve()


def _base(top: Path, rev: str) -> str:
    """The commit to diff from: the merge base of REV and HEAD (a branch's own changes, not
    what landed on REV since), else REV itself."""
    if rev.startswith("-"):
        raise ChangesError(f"--changed-since {rev}: a revision does not start with '-'; "
                           "for example HEAD~1 or origin/main")
    res = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if res.returncode != 0:
        raise ChangesError(f"--changed-since {rev}: no such revision in {top}; name a commit, "
                           "branch or tag (for example HEAD~1 or origin/main; a shallow CI "
                           "checkout needs fetch-depth: 0)")
    commit = res.stdout.decode().strip()
    base = _git(top, "merge-base", commit, "HEAD")
    return base.stdout.decode().strip() if base.returncode == 0 and base.stdout.strip() else commit


def changed_paths(top: Path, rev: str) -> list[tuple[str, Path, Path | None]]:
    """``(status letter, path, old path of a rename or copy)`` of every file changed since
    ``rev`` (absolute paths), untracked files as ``A``."""
    base = _base(top, rev)
    res = _git(top, "diff", "--name-status", "-M", "-z", "--no-ext-diff", base, "--")
    if res.returncode != 0:
        raise ChangesError(f"git diff {base} failed: {res.stderr.decode(errors='replace').strip()}")
    fields = res.stdout.split(b"\0")
    out: list[tuple[str, Path, Path | None]] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i].decode()[0]
        if status in "RC":
            out.append((status, top / os.fsdecode(fields[i + 2]), top / os.fsdecode(fields[i + 1])))
            i += 3
        else:
            out.append((status, top / os.fsdecode(fields[i + 1]), None))
            i += 2
    others = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    out += [("A", top / os.fsdecode(p), None) for p in others.stdout.split(b"\0") if p]
    return out


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _entry_id(path: Path, faq_dir: Path, suffix: str = ".yml") -> str | None:
    """The id an entry file (or, with ``suffix``, its side file) directly in the FAQ folder
    stands for; None for any other file."""
    if path.parent != faq_dir or path.suffix != suffix or path.name.startswith(("_", ".")):
        return None
    return path.stem


def _global_change(path: Path, project: Project, top: Path) -> str | None:
    """Why a change of ``path`` can affect every entry, or None."""
    if _inside(path, project.snippets_dir):
        return f"the snippet {path.relative_to(top)} changed"
    if project.config_file is not None and path == project.config_file.resolve():
        return f"{path.relative_to(top)} changed (plugin options)"
    if _inside(_PACKAGE, top):
        for name in RESULT_CODE:
            if _inside(path, _PACKAGE / name) and (path.suffix == ".py" or path.is_dir()):
                return f"faqkb's code changed ({path.relative_to(top)})"
    return None


def select_changed(kb: KnowledgeBase, project: Project, rev: str,
                   keys: Mapping[str, str]) -> Selection:
    """The entries to verify after the changes since ``rev``; ``keys`` are the entries'
    cache keys now (:func:`faqkb.verify.verifier.entry_keys`)."""
    top = git_toplevel(project.root)
    faq_dir = project.faq_dir.resolve()
    sel = Selection(rev)
    picked: dict[str, str] = {}
    for status, path, old in changed_paths(top, rev):
        path = path.resolve() if path.exists() else path
        why = _global_change(path, project, top) or (
            _global_change(old, project, top) if old is not None else None)
        if why and sel.everything is None:
            sel.everything = why
        old_id = _entry_id(old, faq_dir) if old is not None else None
        new_id = _entry_id(path, faq_dir)
        snap_id = _entry_id(path, faq_dir, SNAP_SUFFIX)
        rel = path.relative_to(top).as_posix()
        if status == "D":
            if new_id is not None and new_id not in kb.entries:
                sel.deleted[new_id] = rel
        elif new_id is not None:
            if status in "RC" and old_id is not None and old_id != new_id:
                picked.setdefault(new_id, f"renamed from {old_id} ({rel})" if status == "R"
                                  else f"copied from {old_id} ({rel})")
                if status == "R" and old_id not in kb.entries:
                    sel.deleted[old_id] = old.relative_to(top).as_posix() if old else old_id
            else:
                picked.setdefault(new_id, f"new entry file ({rel})" if status == "A"
                                  else f"entry file changed ({rel})")
        elif snap_id is not None:
            picked.setdefault(snap_id, f"its snapshot file changed ({rel})")
    cache = ResultCache(project.cache_dir)
    for eid in sorted(kb.entries):
        if sel.everything is not None:
            sel.picked[eid] = f"every entry: {sel.everything}"
        elif eid in picked:
            sel.picked[eid] = picked[eid]
        elif eid in keys:
            stored = cache.stored_key(eid)
            if stored is not None and stored != keys[eid]:
                sel.picked[eid] = ("its inputs changed since its cached result (faqkb's version "
                                   "or code, a tool's version, a snippet or a plugin option)")
    # An entry file that changed but no longer loads is picked too: the loader said why.
    sel.picked = {eid: why for eid, why in sel.picked.items() if eid in kb.entries}
    sel.deleted = dict(sorted(sel.deleted.items()))
    return sel
