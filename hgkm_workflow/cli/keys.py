"""The key commands: ``hgkm keygen``, ``rotate-key`` and ``rotate-register-key``.

Two key hierarchies (docs/security.md): the **cipher key** encrypts event and snapshot
payloads; the register's **KEK** wraps the per-person data keys of the person register. Both
rotations are commands with authority (``RotateCipherKey``, ``RotateRegisterKey``): the
operator is authorised first, a refusal is written to the store's access log and nothing is
changed. Keys are read from files, never from the command line, so they stay out of shell
histories and process lists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hgkm_workflow.cli.common import DbOption
from hgkm_workflow.errors import HgkmError

if TYPE_CHECKING:
    from hgkm_workflow.commands import Actor

console = Console()

OperatorOption = Annotated[str, typer.Option(
    "--actor", help="The operator: a pseudonymous actor id")]
OperatorOrganisation = Annotated[str, typer.Option(
    "--organisation", help="The operator's organisation code")]
OperatorRole = Annotated[str, typer.Option(
    "--role", help="The operator's role (the authority policy grants system)")]


def keygen(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the key to this file (created with mode 600) instead of printing")]
    = None,
    size: Annotated[int, typer.Option("--bytes", help="Key size: 16, 24 or 32 bytes")] = 32,
    register: Annotated[bool, typer.Option(
        "--register", help="Make a KEK for the person register (HGKM_REGISTER_KEK) instead; "
                           "always 32 bytes")] = False,
) -> None:
    """Make a new cipher key (HGKM_CIPHER_KEY) or, with --register, a register KEK."""
    if register:
        from hgkm_workflow.adapters.keys import generate_kek

        key, size = generate_kek(), 32
    else:
        from hgkm_workflow.adapters.cipher import generate_key

        key = generate_key(size)
    if out is None:
        typer.echo(key)
        return
    if out.exists():
        raise typer.BadParameter(f"{out} exists; refusing to overwrite a key", param_hint="--out")
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    console.print(f"wrote a {size}-byte key to {out}; keep it out of the repository and the "
                  "database backups", highlight=False)


def _read_key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise typer.BadParameter(f"cannot read {path}") from None


def _new_key(path: Path, option: str) -> str:
    key = _read_key(path)
    if not key:
        raise typer.BadParameter(f"{path} holds no key", param_hint=option)
    return key


def _operator(db: str | None, actor: str, organisation: str, role: str) -> Actor:
    """The store must exist and the operator be well-formed; else exit 1, changing nothing."""
    from hgkm_workflow.cli.boundary import require_store
    from hgkm_workflow.commands import Actor, validate_command

    require_store(db)
    try:
        return validate_command(Actor, {"actor_id": actor, "organisation": organisation,
                                        "role": role})
    except HgkmError as exc:
        console.print(f"refused: {exc}", highlight=False)
        raise typer.Exit(1) from None


def rotate_key_command(
    new_key_file: Annotated[Path, typer.Option("--new-key-file", help="File with the new key")],
    old_key_file: Annotated[Path | None, typer.Option(
        "--old-key-file", help="File with the current key (omit if the store is unencrypted)")]
    = None,
    db: DbOption = None,
    actor: OperatorOption = "hgkm-operator",
    organisation: OperatorOrganisation = "hgkm",
    role: OperatorRole = "system",
) -> None:
    """Re-encrypt every stored event and snapshot under a new key (stop the service first).

    ``RotateCipherKey`` is a command with authority (docs/authority.md): the actor is
    authorised first; a refusal is written to the store's access log and nothing is changed.
    """
    from hgkm_workflow.application.administration import rotate_cipher_key
    from hgkm_workflow.authority import NotAuthorised

    who = _operator(db, actor, organisation, role)
    new_key = _new_key(new_key_file, "--new-key-file")
    try:  # authorised on the store's access log first; a refusal changes nothing
        result = rotate_cipher_key(db, _read_key(old_key_file), new_key, who)
    except NotAuthorised as exc:  # other refusals go to the CLI boundary (exit code 2)
        console.print(f"refused: {exc}", highlight=False)
        raise typer.Exit(1) from None
    for table, rows in result.tables.items():
        console.print(f"re-encrypted {rows} records of {table}", highlight=False)
    console.print("done: start the service with the new key", highlight=False)


def rotate_register_key_command(
    new_kek_file: Annotated[Path, typer.Option(
        "--new-kek-file", help="File with the new KEK (make one with `hgkm keygen --register`)")],
    old_kek_file: Annotated[Path | None, typer.Option(
        "--old-kek-file", help="File with the current KEK (omit for a store whose keys are "
                               "still in clear or under the development key)")] = None,
    db: DbOption = None,
    actor: OperatorOption = "hgkm-operator",
    organisation: OperatorOrganisation = "hgkm",
    role: OperatorRole = "system",
) -> None:
    """Re-wrap every person's data key in the register under a new KEK (stop the service first).

    ``RotateRegisterKey`` is a command with authority: the actor is authorised first; a
    refusal is written to the store's access log and nothing is re-wrapped. All entries are
    re-wrapped in one transaction; if one does not open with the old KEK nothing changes.
    Keep the old KEK only as long as backups made before the rotation (docs/security.md).
    """
    from hgkm_workflow.application.administration import rotate_register_key

    who = _operator(db, actor, organisation, role)
    new_kek = _new_key(new_kek_file, "--new-kek-file")
    try:
        result = rotate_register_key(db, _read_key(old_kek_file), new_kek, who)
    except HgkmError as exc:  # not authorised, a KEK that does not open, an unusable key text
        console.print(f"refused: {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"re-wrapped {result.rewrapped} data keys and wrapped "
                  f"{result.legacy_wrapped} legacy clear keys under KEK {result.kek_id}",
                  highlight=False)
    console.print("done: start the service with the new KEK (HGKM_REGISTER_KEK_FILE)",
                  highlight=False)
