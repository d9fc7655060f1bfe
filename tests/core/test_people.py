"""names_told_apart: a name alone unless another of the list has it; then as few of the details,
in the order given, as tell the two apart."""
from __future__ import annotations

from django.utils import translation

from hrsaas.core.people import names_told_apart


def test_only_namesakes_get_a_detail_and_only_as_many_as_tell_them_apart():
    people = [("张伟", ("北京分公司", "bj.s1")), ("李娜", ("北京分公司", "bj.s2")), ("张伟", ("上海分公司", "")),
              ("张伟", ("北京分公司", "bj.s3")), ("王芳", ("广州分公司", "")), ("王芳", ("广州分公司", ""))]
    with translation.override("zh-hans"):
        assert names_told_apart(people) == [
            "张伟(北京分公司 · bj.s1)", "李娜", "张伟(上海分公司)", "张伟(北京分公司 · bj.s3)",
            "王芳(广州分公司)", "王芳(广州分公司)"]  # nothing more may be shown: as close as it gets
    with translation.override("en"):
        assert names_told_apart([("张伟", ("bj.s1",)), ("张伟", ("bj.s2",))]) == ["张伟 (bj.s1)", "张伟 (bj.s2)"]


def test_what_the_list_already_shows_beside_a_name_tells_people_apart_too():
    people = [("张伟", ("bj.s1",)), ("张伟", ("sh.s1",)), ("张伟", ("bj.s2",))]
    with translation.override("zh-hans"):
        assert names_told_apart(people, beside=["北京", "上海", "北京"]) == ["张伟(bj.s1)", "张伟", "张伟(bj.s2)"]
        assert names_told_apart([("张伟", ()), ("张伟", ())]) == ["张伟", "张伟"]
        assert names_told_apart([]) == []
