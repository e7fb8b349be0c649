"""SQLAlchemy 2 (over psycopg 3) against a server given by host and port.

Usage: python3 sqlalchemy_checks.py HOST PORT

Prints one line per check, `name<TAB>result`, as psycopg_checks.py does: what SQLAlchemy
saw (Python reprs, errors as `ERROR sqlstate class`). tests/tests/clients.rs runs this
against our server and PostgreSQL 15 and compares the lines. The checks run in order on
one schema: create_all, reflection with inspect(), ORM CRUD, a relationship, drop_all.
"""

import datetime
import decimal
import sys

import sqlalchemy as sa
from sqlalchemy import orm

HOST, PORT = sys.argv[1], sys.argv[2]
URL = f"postgresql+psycopg://postgres@{HOST}:{PORT}/postgres"
ENGINE = sa.create_engine(URL)


class Base(orm.DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "sa_user"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(50), nullable=False, unique=True)
    balance = sa.Column(sa.Numeric(10, 2), server_default="0")
    created = sa.Column(sa.DateTime, server_default=sa.text("'2024-01-02 03:04:05'"))
    addresses = orm.relationship("Address", back_populates="user", cascade="all, delete-orphan",
                                 order_by="Address.id")


class Address(Base):
    __tablename__ = "sa_address"
    id = sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("sa_user.id", ondelete="CASCADE"), nullable=False)
    email = sa.Column(sa.String(100), index=True)
    verified = sa.Column(sa.Boolean, default=False)
    user = orm.relationship("User", back_populates="addresses")
    __table_args__ = (sa.CheckConstraint("email LIKE '%@%'", name="sa_address_email_at"),)


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def describe_error(e):
    orig = getattr(e, "orig", e)
    state = getattr(getattr(orig, "diag", None), "sqlstate", None)
    return f"ERROR {state} {type(orig).__name__}"


@check
def server_version():
    return ENGINE.dialect.server_version_info[0] if ENGINE.connect() else None


@check
def create_all():
    Base.metadata.drop_all(ENGINE)
    Base.metadata.create_all(ENGINE)
    names = sa.inspect(ENGINE).get_table_names()
    return sorted(n for n in names if n.startswith("sa_"))


@check
def has_table():
    insp = sa.inspect(ENGINE)
    return insp.has_table("sa_user"), insp.has_table("sa_missing"), "public" in insp.get_schema_names()


@check
def reflect_columns():
    cols = sa.inspect(ENGINE).get_columns("sa_address")
    return [(c["name"], str(c["type"]), c["nullable"], c.get("default"),
             bool(c.get("identity"))) for c in cols]


@check
def reflect_user_columns():
    cols = sa.inspect(ENGINE).get_columns("sa_user")
    return [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in cols]


@check
def reflect_pk():
    return sa.inspect(ENGINE).get_pk_constraint("sa_user")


@check
def reflect_foreign_keys():
    fks = sa.inspect(ENGINE).get_foreign_keys("sa_address")
    return [(f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"],
             f.get("options")) for f in fks]


@check
def reflect_indexes():
    return sorted((i["name"], i["column_names"], i["unique"])
                  for i in sa.inspect(ENGINE).get_indexes("sa_address"))


@check
def reflect_unique_and_check():
    insp = sa.inspect(ENGINE)
    return (insp.get_unique_constraints("sa_user"),
            [(c["name"], c["sqltext"]) for c in insp.get_check_constraints("sa_address")])


@check
def reflect_metadata():
    md = sa.MetaData()
    md.reflect(ENGINE, only=["sa_user", "sa_address"])
    return sorted((t.name, [c.name for c in t.columns], sorted(k.target_fullname for k in t.foreign_keys))
                  for t in md.tables.values())


@check
def orm_insert():
    with orm.Session(ENGINE) as s:
        s.add_all([
            User(id=1, name="ann", balance=decimal.Decimal("10.50"),
                 addresses=[Address(email="ann@a.org"), Address(email="ann@b.org")]),
            User(id=2, name="bob"),
        ])
        s.commit()
        return s.scalars(sa.select(sa.func.count()).select_from(Address)).one()


@check
def orm_query():
    with orm.Session(ENGINE) as s:
        users = s.scalars(sa.select(User).order_by(User.id)).all()
        return [(u.id, u.name, u.balance, u.created) for u in users]


@check
def orm_relationship():
    with orm.Session(ENGINE) as s:
        ann = s.scalars(sa.select(User).where(User.name == "ann")).one()
        lazy = [a.email for a in ann.addresses]
        joined = s.scalars(sa.select(User).options(orm.selectinload(User.addresses))
                           .order_by(User.id)).all()
        rows = s.execute(sa.select(User.name, Address.email).join(Address.user)
                         .order_by(Address.email)).all()
        return lazy, [(u.name, len(u.addresses)) for u in joined], [tuple(r) for r in rows]


@check
def orm_update():
    with orm.Session(ENGINE) as s:
        bob = s.get(User, 2)
        bob.balance = decimal.Decimal("3.25")
        bob.addresses.append(Address(email="bob@c.org", verified=True))
        s.commit()
        s.execute(sa.update(Address).where(Address.email.like("ann%")).values(verified=True))
        s.commit()
        return s.execute(sa.select(Address.email, Address.verified).order_by(Address.email)).all()


@check
def orm_delete():
    with orm.Session(ENGINE) as s:
        s.delete(s.get(User, 1))
        s.commit()
        return (s.scalars(sa.select(sa.func.count()).select_from(User)).one(),
                s.scalars(sa.select(sa.func.count()).select_from(Address)).one())


@check
def rollback_and_error():
    with orm.Session(ENGINE) as s:
        s.add(User(id=3, name="bob"))
        try:
            s.commit()
            return "committed"
        except sa.exc.IntegrityError as e:
            s.rollback()
            return describe_error(e), s.scalars(sa.select(sa.func.count()).select_from(User)).one()


@check
def core_types():
    t = sa.Table("sa_types", sa.MetaData(), sa.Column("d", sa.Date), sa.Column("j", sa.JSON),
                 sa.Column("u", sa.Uuid), sa.Column("a", sa.ARRAY(sa.Integer)))
    with ENGINE.begin() as c:
        t.drop(c, checkfirst=True)
        t.create(c)
        c.execute(t.insert(), [{"d": datetime.date(2024, 2, 29), "j": {"k": [1, 2]},
                                "u": None, "a": [1, 2, 3]}])
        row = c.execute(sa.select(t)).one()
        t.drop(c)
        return tuple(row)


@check
def drop_all():
    Base.metadata.drop_all(ENGINE)
    return sorted(n for n in sa.inspect(ENGINE).get_table_names() if n.startswith("sa_"))


def main():
    for fn in CHECKS:
        try:
            result = repr(fn())
        except sa.exc.DBAPIError as e:
            result = f"{describe_error(e)}: {str(e.orig).splitlines()[0] if str(e.orig) else ''}"
        except Exception as e:  # noqa: BLE001 - a check that breaks reports it, the run goes on
            result = f"EXCEPTION {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        print(f"{fn.__name__}\t{result}".replace("\n", "\\n"), flush=True)


if __name__ == "__main__":
    main()
