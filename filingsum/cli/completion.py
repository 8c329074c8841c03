"""`filingsum completion SHELL`: the shell completion script for every subcommand and flag (shtab).

    filingsum completion bash > ~/.local/share/bash-completion/completions/filingsum   # then open a new shell
    filingsum completion zsh > "${fpath[1]}/_filingsum"
"""

from __future__ import annotations

import argparse

HELP = "print the shell completion script (bash, zsh, tcsh)"
DESCRIPTION = __doc__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell to complete in")


def run(args: argparse.Namespace) -> int:
    import shtab

    from filingsum.cli import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0
