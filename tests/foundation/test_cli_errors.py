"""The CLI contract: user errors are one line on stderr, exit 2, no traceback."""

from lotusar.errors import LotusarError, NotFoundError
from lotusar.fileio import atomic_path, write_text_atomic


def test_version(run_cli):
    p = run_cli("version", check=True)
    assert p.stdout.strip() == "0.1.0"


def test_unknown_command_exits_2(run_cli):
    p = run_cli("no-such-stage")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr


def test_not_found_error_message_is_plain():
    e = NotFoundError("unknown satellite 'X'")
    assert str(e) == "unknown satellite 'X'"
    assert isinstance(e, LotusarError)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    write_text_atomic(target, "whole")
    assert target.read_text() == "whole"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
