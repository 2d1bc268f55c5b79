import pytest

from healthlinks.accounts.models import User
from healthlinks.cli import main

pytestmark = pytest.mark.django_db


def test_createuser_with_partnership_and_token(make_partnership, capsys):
    p = make_partnership(name="CLI partnership")
    assert (
        main(["createuser", "cora", "--role", "coordinator", "--partnership", p.slug, "--password", "Long-enough-9"])
        == 0
    )
    user = User.objects.get(username="cora")
    assert user.role == "coordinator" and user.partnership_access.get().partnership == p
    assert main(["token", "cora"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) == 40


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["createuser", "x", "--role", "member", "--partnership", "missing"], "no partnership with slug"),
        (["createuser", "y", "--role", "member", "--password", "123"], "password"),
        (["token", "nobody"], "no user named"),
    ],
)
def test_errors_go_to_stderr_with_nonzero_exit(argv, message, capsys):
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err
    assert not User.objects.filter(username__in=["x", "y"]).exists()
