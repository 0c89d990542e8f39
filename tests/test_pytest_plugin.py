"""`pytest --faqkb`: each entry is a test; failures read as faqkb prints them."""

from __future__ import annotations

import pytest

from tests.kbutil import MINIMAL, make_project

pytest_plugins = ["pytester"]


def test_entries_are_tests(pytester: pytest.Pytester) -> None:
    ok = MINIMAL.format(id="alpha") + "commands:\n  - run: echo fine\n    expect: {stdout: [fine]}\n"
    bad = MINIMAL.format(id="beta") + "commands:\n  - run: echo actual\n    expect: {stdout: ['^wanted$']}\n"
    make_project(pytester.path, {"alpha": ok, "beta": bad, "gamma": MINIMAL.format(id="gamma")})
    result = pytester.runpytest_subprocess("--faqkb", "docs/faq", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*beta.yml:9: entry 'beta', command 1 FAILED: echo actual",
        "*stdout does not match /^wanted$/*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_without_the_flag_nothing_is_collected(pytester: pytest.Pytester) -> None:
    make_project(pytester.path, {"alpha": MINIMAL.format(id="alpha")})
    result = pytester.runpytest_subprocess("docs/faq", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
