import warnings

import pytest

from helpstats._keywords import KeywordError, renamed_keywords


@renamed_keywords(group="by", time="wave")
def _f(data, *, by=None, wave=None):
    return data, by, wave


def test_old_name_works_with_future_warning():
    with pytest.warns(FutureWarning, match=r"_f\(group=\.\.\.\) is now _f\(by=\.\.\.\)"):
        assert _f(1, group="arm") == (1, "arm", None)


def test_new_name_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _f(1, by="arm", wave="w") == (1, "arm", "w")


def test_both_names_is_an_error():
    with pytest.raises(KeywordError, match="both group= and by="):
        _f(1, group="a", by="b")
    assert issubclass(KeywordError, TypeError)
