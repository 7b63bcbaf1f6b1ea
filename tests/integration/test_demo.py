from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.persistence.tables import CatalogItem, Institution, Person
from yibao.services import catalog, demo, institutions, persons


def test_demo_data_is_loaded_marked_and_usable(session: Session) -> None:
    report = demo.load_demo(session)
    session.commit()
    assert report.persons >= 200
    assert session.scalar(select(func.count()).select_from(Person)) == report.persons
    assert session.scalar(select(func.count()).where(Person.demo.is_(False))) == 0
    policies = set(session.scalars(select(Person.policy_id).distinct()))
    assert policies == {"nmg-employee", "taiyuan-employee", "taiyuan-resident", "national-employee"}
    regions = set(session.scalars(select(Institution.region).distinct()))
    assert regions == {"150100", "150200", "140100", "510500"}
    assert all(i.demo and i.lat is not None for i in session.scalars(select(Institution)))
    assert all(c.demo for c in session.scalars(select(CatalogItem)))
    codes = list(session.scalars(select(CatalogItem.hilist_code)))
    assert any(len(c) == 23 and c[0] in "XZ" for c in codes)
    assert any(len(c) == 15 and c.isdigit() for c in codes)
    assert any(len(c) == 20 and c[0] == "C" for c in codes)
    assert [i.name for i in catalog.search(session, "二甲双胍")] == ["盐酸二甲双胍片"]
    code, _name, key = report.keys[0]
    inst = institutions.authenticate(session, key)
    assert inst is not None
    assert inst.code == code
    some = session.scalars(select(Person).limit(1)).one()
    assert persons.find_by_certno(session, persons.certno_of(some)) is some
    assert demo.has_persons(session)
