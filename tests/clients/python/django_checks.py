"""Django (over psycopg 3) against a server given by host and port: a tiny project made in a
temporary directory, `migrate` (contenttypes, auth and a small app of its own) and CRUD.

Usage: python3 django_checks.py HOST PORT

Prints one line per check, `name<TAB>result`, as psycopg_checks.py does. tests/tests/
clients.rs runs this against our server and PostgreSQL 15 and compares the lines.
"""

import datetime
import decimal
import io
import os
import sys
import tempfile
import textwrap

HOST, PORT = sys.argv[1], sys.argv[2]

# The app: a package written into a temporary directory on sys.path.
APP_DIR = tempfile.mkdtemp(prefix="oxipg-django-")
os.makedirs(os.path.join(APP_DIR, "shop", "migrations"))
for name in ("__init__.py", os.path.join("migrations", "__init__.py")):
    open(os.path.join(APP_DIR, "shop", name), "w").close()
with open(os.path.join(APP_DIR, "shop", "models.py"), "w") as f:
    f.write(textwrap.dedent("""
        from django.db import models

        class Category(models.Model):
            name = models.CharField(max_length=40, unique=True)

        class Product(models.Model):
            category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
            title = models.CharField(max_length=100, db_index=True)
            price = models.DecimalField(max_digits=8, decimal_places=2)
            stock = models.IntegerField(default=0)
            added = models.DateTimeField()
            tags = models.JSONField(default=list)

            class Meta:
                ordering = ["id"]
                constraints = [models.CheckConstraint(check=models.Q(price__gte=0), name="price_not_negative")]
    """))
sys.path.insert(0, APP_DIR)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres",
                           "USER": "postgres", "HOST": HOST, "PORT": PORT}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "shop"],
    USE_TZ=True, TIME_ZONE="UTC", DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402

from shop.models import Category, Product  # noqa: E402

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def describe_error(e):
    cause = e.__cause__ or e
    state = getattr(getattr(cause, "diag", None), "sqlstate", None)
    return f"ERROR {state} {type(e).__name__}"


@check
def makemigrations():
    out = io.StringIO()
    call_command("makemigrations", "shop", stdout=out, verbosity=1)
    return sorted(os.listdir(os.path.join(APP_DIR, "shop", "migrations")))


@check
def migrate():
    call_command("migrate", stdout=io.StringIO(), verbosity=1)
    with connection.cursor() as c:
        c.execute("SELECT app, name FROM django_migrations WHERE app IN ('shop', 'contenttypes') ORDER BY app, name")
        return c.fetchall()


@check
def introspection():
    tables = connection.introspection.table_names()
    with connection.cursor() as c:
        desc = connection.introspection.get_table_description(c, "shop_product")
        constraints = connection.introspection.get_constraints(c, "shop_product")
        seqs = connection.introspection.get_sequences(c, "shop_product")
    return ([t for t in tables if t.startswith(("shop_", "auth_user", "django_"))],
            [(d.name, d.null_ok) for d in desc],
            sorted((k if not k.endswith(("_fk_shop_category_id", "_like", "_idx")) else "(generated)",
                    v["columns"], v["primary_key"], v["unique"], v["foreign_key"], v["check"], v["index"])
                   for k, v in constraints.items()),
            [(s["table"], s["column"]) for s in seqs])


@check
def create():
    fruit = Category.objects.create(name="fruit")
    tools = Category.objects.create(name="tools")
    added = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    Product.objects.create(category=fruit, title="apple", price=decimal.Decimal("1.20"), stock=10,
                           added=added, tags=["red", "sweet"])
    Product.objects.create(category=fruit, title="pear", price=decimal.Decimal("2.05"), added=added)
    Product.objects.bulk_create([Product(category=tools, title=f"hammer {i}", price=i, added=added)
                                 for i in range(1, 4)])
    return Product.objects.count(), Category.objects.count()


@check
def read():
    rows = [(p.title, p.price, p.stock, p.added.isoformat(), p.tags, p.category.name)
            for p in Product.objects.select_related("category").filter(price__lt=3)]
    return rows


@check
def aggregate():
    cats = Category.objects.annotate(n=Count("products"), total=Sum("products__price")).order_by("name")
    return [(c.name, c.n, c.total) for c in cats], Product.objects.filter(tags__contains=["red"]).count()


@check
def update():
    n = Product.objects.filter(category__name="tools").update(stock=5)
    p = Product.objects.get(title="pear")
    p.price = decimal.Decimal("2.50")
    p.save()
    return n, list(Product.objects.values_list("title", "stock", "price").order_by("title")[:3])


@check
def atomic_rollback():
    try:
        with transaction.atomic():
            Category.objects.create(name="toys")
            Category.objects.create(name="toys")
    except IntegrityError as e:
        return describe_error(e), Category.objects.filter(name="toys").exists()
    return "no error"


@check
def check_constraint():
    try:
        with transaction.atomic():
            Product.objects.create(category=Category.objects.first(), title="bad", price=-1,
                                   added=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    except IntegrityError as e:
        return describe_error(e)
    return "no error"


@check
def delete():
    deleted = Category.objects.filter(name="fruit").delete()
    return deleted, Product.objects.count()


@check
def auth_user():
    from django.contrib.auth.models import User
    User.objects.filter(username="ann").delete()
    u = User.objects.create_user("ann", "ann@example.org", "secret")
    return User.objects.get(pk=u.pk).check_password("secret"), u.groups.count()


@check
def migrate_zero():
    call_command("migrate", "shop", "zero", stdout=io.StringIO(), verbosity=1)
    return [t for t in connection.introspection.table_names() if t.startswith("shop_")]


def main():
    try:
        for fn in CHECKS:
            try:
                result = repr(fn())
            except Exception as e:  # noqa: BLE001 - a check that breaks reports it, the run goes on
                cause = e.__cause__ or e
                state = getattr(getattr(cause, "diag", None), "sqlstate", None)
                first = str(e).splitlines()[0] if str(e) else ""
                result = f"EXCEPTION {type(e).__name__} {state}: {first}"
            print(f"{fn.__name__}\t{result}".replace("\n", "\\n"), flush=True)
    finally:
        # Leave the database as it was: the app's tables and Django's own.
        with connection.cursor() as c:
            c.execute("DROP TABLE IF EXISTS shop_product, shop_category, auth_user_user_permissions, "
                      "auth_user_groups, auth_group_permissions, auth_permission, auth_user, auth_group, "
                      "django_content_type, django_migrations CASCADE")


if __name__ == "__main__":
    main()
