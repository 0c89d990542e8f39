"""What a command's shell text runs, and how a reader's shell prompts for each of its lines.

:func:`scan` reads bash text the way bash splits it, without running or expanding anything:

- the *command words*: the program each simple command starts (``git`` in
  ``cd demo && git status | head``), after ``|``, ``&&``, ``||``, ``;``, ``&``, a newline,
  ``(``, ``$(``, backticks, ``<(``, ``{``, ``if``/``then``/``do``/... and after the wrappers that
  run their argument (``sudo``, ``env``, ``xargs``, ``exec``, ``nohup``, ``nice``, ``timeout``,
  ``time``, ``stdbuf``, ``command``, ``builtin``, ``doas``), skipping ``NAME=value``
  assignments and redirections; the string of ``bash -c`` / ``sh -c`` is read the same way;
- the scripts it runs (``./sign.sh``, ``bash x.sh``), so a snippet's own commands count too;
- for each line, whether it *continues* the command before it: inside a quoted string, a
  heredoc, ``$( ... )``, a compound command (``if ... fi``, ``for ... done``, ``{ ... }``,
  ``( ... )``, ``case ... esac``), after a trailing backslash or a trailing ``|``, ``&&``, ``||``.
  An interactive bash shows its continuation prompt (``> ``) on such a line, and its
  main prompt (``$ ``) on every other one: :func:`with_prompts`.

It is a reader, not a shell: text it cannot make sense of (an unclosed quote) simply ends
the scan. It is linear in the text and never recurses more than :data:`MAX_DEPTH` deep.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

#: Nested ``$(``, quotes and ``bash -c`` strings followed at most this deep (hostile text).
MAX_DEPTH = 50
PS1 = "$ "
PS2 = "> "

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
#: Reserved words after which the next word is again a command.
_STAY = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
_OPENS = frozenset({"if", "while", "until", "for", "select", "case", "{"})
_CLOSES = frozenset({"fi", "done", "esac", "}"})
#: Programs that run their argument as a command, and their options that take a value.
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "--user",
                       "--group", "--chdir", "--host", "--prompt", "--role", "--type",
                       "--other-user", "--close-from", "--command-timeout"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir"}),
    "xargs": frozenset({"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--arg-file",
                        "--delimiter", "--max-args", "--max-procs", "--max-lines", "--eof",
                        "--max-chars", "--replace"}),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "command": frozenset(),
    "builtin": frozenset(),
}
#: Wrappers whose first plain argument is not the command (``timeout 5 git ...``).
_WRAPPER_POSITIONAL = {"timeout": 1}
#: Shells: ``bash -c TEXT`` runs TEXT; ``bash FILE`` runs the script FILE.
SHELLS = frozenset({"bash", "sh", "dash", "zsh", "ksh", "source", "."})


@dataclass
class Scan:
    """What :func:`scan` found in one text."""

    #: The program of each simple command, as its basename (``/usr/bin/git`` -> ``git``).
    commands: list[str] = field(default_factory=list)
    #: Command words and shell-script arguments as written (``./sign.sh``), for snippets.
    scripts: list[str] = field(default_factory=list)
    #: Per line of the text: True when bash would prompt for it with ``> `` (it continues).
    continued: list[bool] = field(default_factory=list)


@dataclass
class _Frame:
    """One context that parses commands: the text itself, ``$( )``, ``( )``, backticks."""

    kind: str  # "top", "subst", "paren", "backtick", "procsub"
    cmd_pos: bool = True
    word: list[str] = field(default_factory=list)
    has_word: bool = False
    literal: bool = True
    redirect_target: bool = False
    heredoc_word: int = 0  # 1: the next word is a heredoc delimiter, 2: one with <<- (tabs)
    wrapper: str | None = None
    wrapper_arg: bool = False
    positional: int = 0
    shell: bool = False  # the current command is a shell: look for -c and its script
    shell_c: bool = False
    case: str | None = None  # None, "subject", "pattern", "body"
    compound: int = 0
    pending_op: bool = False
    function_name: bool = False


class _Scanner:
    def __init__(self, text: str, out: Scan, depth: int) -> None:
        self.text = text
        self.out = out
        self.depth = depth
        self.i = 0
        # Quote-like contexts inside the frames: "sq", "dq", "ansi", "param", "arith", "deep".
        self.frames: list[_Frame | str] = [_Frame("top")]
        self.heredocs: list[tuple[str, bool]] = []
        self.escaped_newline = False

    # ------------------------------------------------------------------ helpers
    def frame(self) -> _Frame:
        """The innermost command frame (quotes append to its word)."""
        for f in reversed(self.frames):
            if isinstance(f, _Frame):
                return f
        raise AssertionError("the top frame is never popped")

    def add(self, ch: str, literal: bool = True) -> None:
        f = self.frame()
        f.has_word = True
        f.word.append(ch)
        if not literal:
            f.literal = False

    def continuing(self) -> bool:
        """True when the line about to start continues the command (bash's PS2)."""
        top = self.frames[0]
        assert isinstance(top, _Frame)
        return (len(self.frames) > 1 or self.escaped_newline or top.compound > 0
                or top.pending_op or top.case is not None or bool(self.heredocs))

    # ------------------------------------------------------------------ words
    def end_word(self) -> None:
        f = self.frame()
        if not f.has_word:
            return
        word, literal = "".join(f.word), f.literal
        f.word, f.has_word, f.literal = [], False, True
        f.pending_op = False
        if f.heredoc_word:
            self.heredocs.append((word, f.heredoc_word == 2))
            f.heredoc_word = 0
            return
        if f.redirect_target:
            f.redirect_target = False
            return
        if f.function_name:
            f.function_name = False
            return
        if f.case == "subject":
            if literal and word == "in":
                f.case = "pattern"
            return
        if f.case == "pattern":
            if literal and word == "esac":
                f.case, f.cmd_pos = None, False
                f.compound = max(0, f.compound - 1)
            return
        if f.shell_c:
            f.shell_c = False
            if self.depth < MAX_DEPTH:
                inner = Scan()
                _Scanner(word, inner, self.depth + 1).run()
                self.out.commands += inner.commands
                self.out.scripts += inner.scripts
            return
        if f.wrapper is not None:
            self._wrapped(f, word, literal)
            return
        if not f.cmd_pos:
            if f.shell and literal:
                if word == "-c":
                    f.shell_c = True
                elif not word.startswith("-"):
                    self.out.scripts.append(word)
                    f.shell = False
            return
        if literal and _ASSIGNMENT.match(word):
            return
        if literal and (word in _STAY or word in _OPENS or word in _CLOSES
                        or word in ("for", "select", "case", "function")):
            self._reserved(f, word)
            return
        self._command(f, word, literal)

    def _reserved(self, f: _Frame, word: str) -> None:
        if word in _OPENS:
            f.compound += 1
        if word in _CLOSES:
            f.compound = max(0, f.compound - 1)
            f.cmd_pos = False
        elif word in ("for", "select"):
            f.cmd_pos = False  # its name and list are no commands; `do` makes the next one
        elif word == "case":
            f.case, f.cmd_pos = "subject", False
        elif word == "function":
            f.function_name, f.cmd_pos = True, True

    def _command(self, f: _Frame, word: str, literal: bool) -> None:
        f.cmd_pos = False
        if not literal:
            return  # `$TOOL args`: no program name in the text
        name = posixpath.basename(word.rstrip("/")) or word
        self.out.commands.append(name)
        self.out.scripts.append(word)
        if name in WRAPPERS:
            f.wrapper, f.wrapper_arg = name, False
            f.positional = _WRAPPER_POSITIONAL.get(name, 0)
        elif name in SHELLS:
            f.shell = True

    def _wrapped(self, f: _Frame, word: str, literal: bool) -> None:
        """A word after a wrapper: its option, an option's value, or the command it runs."""
        wrapper = f.wrapper
        assert wrapper is not None
        if f.wrapper_arg:
            f.wrapper_arg = False
            return
        if literal and word.startswith("-") and word != "-":
            if wrapper == "command" and word in ("-v", "-V"):
                f.wrapper, f.cmd_pos = None, False  # `command -v git` looks git up, runs nothing
            elif word in WRAPPERS[wrapper]:
                f.wrapper_arg = True
            return
        if literal and wrapper in ("sudo", "env", "doas") and _ASSIGNMENT.match(word):
            return
        if f.positional:
            f.positional -= 1
            return
        f.wrapper = None
        self._command(f, word, literal)

    # ------------------------------------------------------------------ operators
    def operator(self, op: str) -> None:
        """``;``, ``&``, ``|``, ``&&``, ``||``, ``|&``, ``;;`` ...: a new command follows."""
        self.end_word()
        f = self.frame()
        f.cmd_pos, f.wrapper, f.shell, f.shell_c = True, None, False, False
        f.redirect_target = False
        f.pending_op = op in ("|", "||", "&&", "|&")
        if f.case == "body" and op in (";;", ";&", ";;&"):
            f.case = "pattern"

    def redirection(self) -> None:
        """``<``, ``>``, ``>>``, ``<<``, ``<<<``, ``&>``, ``2>&1``, ``<(``, ``>(`` ..."""
        t, i = self.text, self.i
        f = self.frame()
        # A word of digits right before the operator is a file descriptor (2>), not a word.
        if f.has_word and f.literal and "".join(f.word).isdigit():
            f.word, f.has_word = [], False
        self.end_word()
        if t.startswith(("<(", ">("), i):
            self.i += 2
            self.frames.append(_Frame("procsub"))
            return
        m = re.compile(r"<<<|<<-|<<|&>>|&>|>>|>\||>&|<&|<>|<|>").match(t, i)
        op = m.group(0) if m else t[i]
        self.i += len(op)
        if op in ("<<", "<<-"):
            f.heredoc_word = 2 if op == "<<-" else 1
        elif op in (">&", "<&"):
            # `2>&1`, `>&-`: the descriptor is part of the operator.
            while self.i < len(t) and (t[self.i].isdigit() or t[self.i] == "-"):
                self.i += 1
            f.redirect_target = not (self.i < len(t) and t[self.i] in " \t\n;&|)")
        else:
            f.redirect_target = True

    def newline(self) -> None:
        """End of a line outside quotes: a command separator, then any heredoc bodies."""
        f = self.frame()
        self.end_word()
        pending = f.pending_op  # a trailing |, && or ||: the command goes on on the next line
        if not pending and f.case != "subject":
            f.cmd_pos, f.wrapper, f.shell, f.shell_c = True, None, False, False
            f.redirect_target = False
        f.pending_op = pending
        self.i += 1
        self.start_line()
        while self.heredocs:
            delim, tabs = self.heredocs.pop(0)
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                line = self.text[self.i:end]
                self.i = end + 1
                if (line.lstrip("\t") if tabs else line) == delim:
                    if self.i <= len(self.text):
                        self.start_line()
                    break
                if self.i <= len(self.text):
                    self.start_line(force=True)

    def start_line(self, force: bool = False) -> None:
        if self.i <= len(self.text):
            self.out.continued.append(force or self.continuing())

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        t = self.text
        self.out.continued.append(False)
        while self.i < len(t):
            top = self.frames[-1]
            if isinstance(top, str):
                self.quoted(top)
            else:
                self.command_char(top)
        self.end_word()
        # The list has one entry per line; a trailing newline opens no line of its own.
        del self.out.continued[t.count("\n") + 1:]

    def command_char(self, f: _Frame) -> None:
        t, i = self.text, self.i
        ch = t[i]
        self.escaped_newline = False
        if ch == "\n":
            self.newline()
            return
        if ch in " \t":
            self.end_word()
        elif ch == "#" and not f.has_word:
            end = t.find("\n", i)
            self.i = len(t) if end < 0 else end
            return
        elif ch == "\\":
            if t.startswith("\\\n", i):
                self.i += 2
                self.escaped_newline = True
                self.start_line()
                self.escaped_newline = False
                return
            self.add(t[i + 1:i + 2])
            self.i += 2
            return
        elif ch in "'\"":
            self.frames.append("sq" if ch == "'" else "dq")
            f.has_word = True
        elif ch == "$":
            self.dollar()
            return
        elif ch == "`":
            if f.kind == "backtick":
                self.end_word()
                self.frames.pop()
                self.add("`", literal=False)
            else:
                self.add("`", literal=False)
                self.frames.append(_Frame("backtick"))
        elif ch in "<>" or (ch == "&" and t.startswith(("&>",), i)):
            self.redirection()
            return
        elif ch in ";&|":
            op = re.compile(r";;&|;;|;&|&&|\|\||\|&|[;&|]").match(t, i)
            assert op is not None
            self.i += len(op.group(0))
            self.operator(op.group(0))
            return
        elif ch == "(":
            self.open_paren(f)
        elif ch == ")":
            self.close_paren(f)
        else:
            self.add(ch)
        self.i += 1

    def open_paren(self, f: _Frame) -> None:
        if f.case == "pattern":
            return  # the optional `(` before a case pattern
        if self.text.startswith("()", self.i) and (f.has_word or not f.cmd_pos):
            # `name()` or `name ()`: a function definition, not a command; its body follows.
            if f.has_word:
                f.word, f.has_word, f.literal = [], False, True
            else:
                del self.out.commands[-1:], self.out.scripts[-1:]
            f.cmd_pos, f.function_name = True, False
            self.i += 1
            return
        self.end_word()
        self.frames.append(_Frame("paren"))

    def close_paren(self, f: _Frame) -> None:
        self.end_word()
        if f.case == "pattern":
            f.case, f.cmd_pos = "body", True
            return
        if f.kind in ("subst", "paren", "procsub") and len(self.frames) > 1:
            self.frames.pop()
            outer = self.frame()
            if f.kind == "paren":
                outer.cmd_pos = False
            else:
                outer.has_word, outer.literal = True, False

    def dollar(self) -> None:
        t, i = self.text, self.i
        nxt = t[i + 1:i + 2]
        if t.startswith("$((", i):
            self.add("$", literal=False)
            self.i += 3
            self.frames.append("arith")
        elif nxt == "(":
            self.add("$", literal=False)
            self.i += 2
            # Too deep (hostile text): skip the rest of it as text.
            self.frames.append(_Frame("subst") if len(self.frames) < MAX_DEPTH else "deep")
        elif nxt == "{":
            self.add("$", literal=False)
            self.i += 2
            self.frames.append("param")
        elif nxt == "'" and self.frames[-1] != "dq":  # "$'" in double quotes is just text
            self.frame().has_word = True
            self.i += 2
            self.frames.append("ansi")
        else:
            self.add("$", literal=False)
            self.i += 1

    def quoted(self, kind: str) -> None:
        """One character (or escape) inside a quote, ``${...}`` or ``$((...))``."""
        t, i = self.text, self.i
        ch = t[i]
        if ch == "\n":
            self.add(ch)
            self.i += 1
            self.start_line()
            return
        if kind == "sq":
            if ch == "'":
                self.frames.pop()
            else:
                self.add(ch)
            self.i += 1
            return
        if ch == "\\" and kind != "arith":
            nxt = t[i + 1:i + 2]
            if nxt == "\n":
                self.i += 2
                self.start_line()
                return
            keep = kind == "ansi" or (kind == "dq" and nxt not in '$`"\\')
            self.add(("\\" if keep else "") + nxt)
            self.i += 2
            return
        closer = {"dq": '"', "ansi": "'", "param": "}", "arith": "))", "deep": ")"}[kind]
        if t.startswith(closer, i):
            self.frames.pop()
            self.i += len(closer)
            return
        if kind in ("dq", "param") and ch == "$":
            self.dollar()
            return
        if kind in ("dq", "param") and ch == "`":
            self.add("`", literal=False)
            self.frames.append(_Frame("backtick"))
            self.i += 1
            return
        if kind == "param" and ch in "'\"":
            self.frames.append("sq" if ch == "'" else "dq")
            self.i += 1
            return
        self.add(ch, literal=kind not in ("param", "arith", "deep"))
        self.i += 1


def scan(text: str) -> Scan:
    """Read ``text`` as bash would split it (see the module docstring)."""
    out = Scan()
    _Scanner(text, out, 0).run()
    return out


def with_prompts(text: str) -> str:
    """``text`` as a reader's terminal shows it typed: ``$ `` before each line that starts a
    command, ``> `` before each line that continues one (see :func:`scan`)."""
    lines = text.split("\n")
    flags = scan(text).continued
    flags += [True] * (len(lines) - len(flags))
    return "\n".join((PS2 if cont else PS1) + line for line, cont in zip(lines, flags, strict=False))
