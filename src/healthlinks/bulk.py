"""How a service writes many records at once, beside `records` (one record): every record validated as
`full_clean` validates one (its fields, its references, the model's `clean`), the first refused one raised as
`RowInvalid` with its index before anything is written; then written in batches, each record with its history row
carrying the author (django-simple-history, as `records.record_save` records one), many-to-many fields included.
Batches send no model signals: the calling service tells `healthlinks.changes` what changed, in its transaction.

Validation runs each field's own `clean` once per distinct value (a choice, a date, a score repeats across
thousands of rows) and checks each reference with one query per field, not one per row: the rules are the models'
own, only their cost is shared. Unique fields and constraints are the calling service's to keep (it keys its rows,
as the single-record services do)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, connections, models, router
from django.db.models import NOT_PROVIDED, Field
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from healthlinks.records import RowInvalid

M = TypeVar("M", bound=models.Model)
BATCH = 1000
# Values whose `clean` result depends on the value alone, compared by equality (a type per key: True is not 1) ...
_BY_VALUE = (str, int, bool, date, type(None))
# ... and by their text, where equal values differ in what is validated (Decimal("1.0") and Decimal("1.00") have
# different decimal places; two equal datetimes may carry different time zones).
_BY_TEXT = (Decimal, float, datetime, time)


def references_resolved(records: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> None:
    """Give each record the id of a related record assigned before it was saved, as `save` and `bulk_create` do
    (`Model._prepare_related_fields_for_save`, without its cost per row): a related record still unsaved raises
    ValueError, unless its field is excluded (written later); an id set apart from the related record wins."""
    excluded = set(exclude)
    plans: dict[type, list[tuple[str, str, str]]] = {}
    for record in records:
        model = type(record)
        plan = plans.get(model)
        if plan is None:
            plan = plans[model] = [
                (f.cache_name, f.attname, f.target_field.attname)
                for f in _relations(model)
                if (f.many_to_one or f.one_to_one) and f.name not in excluded
            ]
        cached = record._state.fields_cache
        for cache_name, attname, target in plan:
            related = cached.get(cache_name)
            if related is None:
                continue
            related_id = getattr(related, target)
            if related_id is None:
                raise ValueError(
                    f"save() prohibited to prevent data loss due to unsaved related object '{cache_name}'."
                )
            own = record.__dict__.get(attname)
            if own is None or own == "":
                record.__dict__[attname] = related_id
            elif own != related_id:
                del cached[cache_name]


def _relations(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def _memo_key(value: Any) -> tuple[type, Any] | None:
    kind = type(value)
    if kind in _BY_VALUE:
        return kind, value
    if kind in _BY_TEXT:
        return kind, repr(value)
    return None  # lists, dicts (JSON fields): cleaned row by row


def _existing_references(field: Any, values: set[Any]) -> set[Any]:
    """Which of these values of a reference name a record that exists (with the field's `limit_choices_to`)."""
    remote = field.remote_field
    found: set[Any] = set()
    ordered = sorted(values, key=repr)
    size = max(connection.features.max_query_params or 999, 1)
    for start in range(0, len(ordered), size):
        rows = remote.model._base_manager.filter(**{f"{remote.field_name}__in": ordered[start : start + size]})
        found.update(rows.complex_filter(field.get_limit_choices_to()).values_list(remote.field_name, flat=True))
    return found


def full_clean_many(
    records: Sequence[models.Model], *, exclude: Iterable[str] = (), rows: Sequence[int] | None = None
) -> None:
    """Validate each record as `record.full_clean(exclude=exclude, validate_unique=False,
    validate_constraints=False)` would, and raise `RowInvalid` for the first one refused: its index in `records`,
    or `rows[index]` (the caller's numbering) when given. Cleaned values are set on the records, as `full_clean`
    sets them."""
    if not records:
        return
    excluded = set(exclude)
    references_resolved(records, exclude=excluded)
    fields_of: dict[type, list[Field[Any, Any]]] = {}
    found: dict[tuple[type, str], set[Any]] = {}
    for model in {type(r) for r in records}:
        fields_of[model] = [f for f in model._meta.fields if f.name not in excluded and not f.generated]
        for field in fields_of[model]:
            if field.many_to_one or field.one_to_one:
                values = {getattr(r, field.attname) for r in records if type(r) is model}
                values.discard(None)
                found[(model, field.attname)] = _existing_references(field, values) if values else set()
    plans: dict[type, list[tuple[Any, str, bool, Any, dict[Any, tuple[bool, Any]], set[Any] | None]]] = {
        model: [
            (field, field.attname, field.blank, field.empty_values, {}, found.get((model, field.attname)))
            for field in fields
        ]
        for model, fields in fields_of.items()
    }
    for index, record in enumerate(records):
        errors: dict[str, Any] = {}
        for field, attname, blank, empty, cache, known in plans[type(record)]:
            raw = getattr(record, attname)
            if blank and raw in empty:
                continue
            if isinstance(raw, DatabaseDefault):
                continue
            key = _memo_key(raw)
            outcome = cache.get(key) if key is not None else None
            if outcome is None:
                outcome = _cleaned(field, raw, record, known)
                if key is not None:
                    cache[key] = outcome
            if not outcome[0]:
                errors[field.name] = list(outcome[1])  # a copy: clean()'s errors are added to it
            elif outcome[1] is not raw:
                setattr(record, attname, outcome[1])
        try:
            record.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise RowInvalid(rows[index] if rows is not None else index, ValidationError(errors))


def _cleaned(field: Any, raw: Any, record: models.Model, known: set[Any] | None) -> tuple[bool, Any]:
    """`field.clean(raw, record)`: (True, the cleaned value) or (False, its errors). A reference among `known`
    (found to exist) is checked as `ForeignKey.validate` checks it, without its query."""
    try:
        if known is not None and raw in known:
            value = field.to_python(raw)
            Field.validate(field, value, record)
            field.run_validators(value)
        else:
            value = field.clean(raw, record)
    except ValidationError as exc:
        return False, exc.error_list
    return True, value


def unique_many(records: Sequence[models.Model], field_name: str, *, rows: Sequence[int] | None = None) -> None:
    """Refuse (`RowInvalid`) the first record whose value of the unique field `field_name` another record of
    `records` or another stored record already has, with the message `validate_unique` gives. Empty values (null
    external ids) are never compared."""
    if not records:
        return
    model = type(records[0])
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field)
    seen: dict[Any, int] = {}
    for index, record in enumerate(records):
        value = getattr(record, field.attname)
        if value in field.empty_values:
            continue
        if value in seen:
            error = record.unique_error_message(model, (field_name,))
            raise RowInvalid(rows[index] if rows is not None else index, ValidationError({field_name: [error]}))
        seen[value] = index
    if not seen:
        return
    values = list(seen)
    for start in range(0, len(values), 500):
        stored = model._base_manager.filter(**{f"{field.attname}__in": values[start : start + 500]})
        for pk, value in stored.values_list("pk", field.attname):
            index = seen[value]
            if records[index].pk != pk:
                error = records[index].unique_error_message(model, (field_name,))
                raise RowInvalid(rows[index] if rows is not None else index, ValidationError({field_name: [error]}))


def _converter(field: Any, connection: Any) -> Callable[[Any], Any]:
    """The field's value as the database takes it (`get_db_prep_save`, what `bulk_create` sends), worked out once per
    distinct value; text, whole numbers and booleans of text, integer and boolean fields go as they are."""
    prepare = field.get_db_prep_save
    target = field.target_field if field.is_relation else field
    same: tuple[type, ...] = ()
    if isinstance(target, models.BooleanField):
        same = (bool,)
    elif isinstance(target, (models.CharField, models.TextField)):
        same = (str,)
    elif isinstance(target, (models.IntegerField, models.AutoField)):
        same = (int,)
    if not isinstance(target, models.JSONField):
        same = (*same, type(None))
    cache: dict[tuple[type, Any], Any] = {}

    def convert(value: Any) -> Any:
        if type(value) in same:
            return value
        key = _memo_key(value)
        if key is None:
            return prepare(value, connection)
        try:
            return cache[key]
        except KeyError:
            cache[key] = converted = prepare(value, connection)
            return converted

    return convert


def _insert(
    model: type[models.Model], fields: Sequence[Any], rows: Sequence[Sequence[Any]], *, returning: Any = None
) -> list[Any]:
    """INSERT rows of Python values (converted as `bulk_create` converts them) into the model's table, without
    `bulk_create`'s per-value query compilation; the values of the `returning` column, in the rows' order (as
    `bulk_create` reads the ids back)."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    converters = [_converter(f, connection) for f in fields]
    values = [[convert(v) for convert, v in zip(converters, row, strict=True)] for row in rows]
    # identifiers from the model's own options, quoted; every value a query parameter
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    found: list[Any] = []
    with connection.cursor() as cursor:
        if returning is None:
            for start in range(0, len(values), BATCH):
                cursor.executemany(head + one, values[start : start + BATCH])
            return found
        tail, _params = connection.ops.return_insert_columns([returning])  # type: ignore[attr-defined]
        size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, values)))
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            cursor.execute(f"{head}{', '.join([one] * len(chunk))} {tail}", [v for row in chunk for v in row])
            found.extend(row[0] for row in connection.ops.fetch_returned_insert_rows(cursor))  # type: ignore[attr-defined]
    return found


def _fast_insert_applies(model: type[models.Model], records: Sequence[models.Model]) -> bool:
    """Whether `_insert` can write these records as `bulk_create` would: new records of a plain model on a database
    that returns the ids of the rows it inserts (SQLite >= 3.35, PostgreSQL)."""
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    return (
        connection.features.can_return_rows_from_bulk_insert
        and not meta.parents
        and all(f.db_default is NOT_PROVIDED and not f.generated for f in meta.concrete_fields)
        and (not isinstance(meta.pk, AutoFieldMixin) or all(r.pk is None for r in records))
    )


def _history(records: Sequence[models.Model], *, by: Any, update: bool) -> None:
    """One history row per record (`+` created, `~` changed) with its author, as simple-history writes one on
    `save` (the author given, never guessed from a request); for a model whose history keeps many-to-many fields,
    each row's snapshot of their links as they stand. The database copies each row into its history table itself
    (INSERT ... SELECT on the records' ids, as the IATI writer does): the values written are the values kept."""
    from django.conf import settings
    from simple_history.utils import get_m2m_field_name

    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    model = type(records[0])
    historical: Any = model.history.model  # type: ignore[attr-defined]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    m2m_fields = getattr(historical, "_history_m2m_fields", [])
    stamp = {
        "history_date": timezone.now(),
        "history_change_reason": None,
        "history_type": "~" if update else "+",
        "history_user": by.pk if by is not None else None,
    }
    tracked = list(historical.tracked_fields)
    names = {f.name for f in tracked} | set(stamp)
    extra = [f for f in historical._meta.concrete_fields if not f.primary_key and f.name not in names]
    if extra:  # pragma: no cover - a history model with fields of its own: simple-history's writer fills them
        written = model.history.bulk_history_create(  # type: ignore[attr-defined]
            list(records), batch_size=BATCH, update=update, default_user=by, default_change_reason=None
        )
        pairs = [(row.pk, record.pk) for row, record in zip(written or [], records, strict=True)]
    else:
        stamped = [historical._meta.get_field(name) for name in stamp]
        into = ", ".join(quote(historical._meta.get_field(f.name).column) for f in [*tracked, *stamped])
        select = ", ".join(quote(f.column) for f in tracked)
        params = [f.get_db_prep_save(value, connection) for f, value in zip(stamped, stamp.values(), strict=True)]
        own_pk = model._meta.pk
        assert own_pk is not None and own_pk.column is not None
        pk = quote(own_pk.column)
        copy = (
            f"INSERT INTO {quote(historical._meta.db_table)} ({into}) "  # noqa: S608 - quoted names
            f"SELECT {select}, {', '.join(['%s'] * len(params))} FROM {quote(model._meta.db_table)} WHERE "
        )
        back = ""
        if m2m_fields:
            back = f" RETURNING {quote(historical._meta.pk.column)}, {pk}"
        ids = sorted(r.pk for r in records)
        statements: list[tuple[str, list[Any]]] = []
        whole = all(type(i) is int for i in ids)
        if whole and ids[-1] - ids[0] + 1 == len(ids) == len(set(ids)):  # one run: every row between is one of them
            statements.append((f"{copy}{pk} BETWEEN %s AND %s ORDER BY {pk}{back}", [*params, ids[0], ids[-1]]))
        else:
            for start in range(0, len(ids), 500):
                some = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(some))
                statements.append((f"{copy}{pk} IN ({marks}) ORDER BY {pk}{back}", [*params, *some]))
        pairs = []
        with connection.cursor() as cursor:
            for sql, values in statements:
                cursor.execute(sql, values)
                if back:
                    pairs.extend(cursor.fetchall())
    if not m2m_fields:
        return
    history_of = {record_id: history_id for history_id, record_id in pairs}
    ids = [r.pk for r in records]
    for field in m2m_fields:
        snapshot_model = getattr(historical, field.name).model
        through = field.remote_field.through
        owner = get_m2m_field_name(field)
        link_columns = [f.attname for f in through._meta.fields]
        snapshots = []
        for start in range(0, len(ids), 500):
            rows_of = through._default_manager.filter(**{f"{owner}__in": ids[start : start + 500]})
            for link in rows_of.values(*link_columns):
                snapshots.append(snapshot_model(history_id=history_of[link[f"{owner}_id"]], **link))
        snapshot_model._default_manager.bulk_create(snapshots, batch_size=BATCH)


def create_many(records: Sequence[M], *, by: Any, links: Callable[[], None] | None = None) -> list[M]:
    """Insert validated records in batches, each with its history row (created, by `by`). `links`, when given, is
    called between the two to link the records' many-to-many fields, which their history rows then show."""
    if not records:
        return []
    model = type(records[0])
    references_resolved(records)
    if _fast_insert_applies(model, records):
        meta = model._meta
        auto = isinstance(meta.pk, AutoFieldMixin)
        fields = [f for f in meta.concrete_fields if not (auto and f.primary_key)]
        stamped = [f for f in fields if type(f).pre_save is not Field.pre_save]  # auto_now and the like
        for record in records:
            for field in stamped:
                setattr(record, field.attname, field.pre_save(record, True))
        rows = [[getattr(r, f.attname) for f in fields] for r in records]
        ids = _insert(model, fields, rows, returning=meta.pk if auto else None)
        alias = router.db_for_write(model)
        for index, record in enumerate(records):
            if auto:
                record.pk = ids[index]
            record._state.adding = False
            record._state.db = alias
    else:  # pragma: no cover - other databases
        model._default_manager.bulk_create(list(records), batch_size=BATCH)
    if links is not None:
        links()
    _history(records, by=by, update=False)
    return list(records)


def update_many(
    records: Sequence[M], fields: Sequence[str], *, by: Any, links: Callable[[], None] | None = None
) -> None:
    """Write these fields of stored, validated records in batches (an `auto_now` field is stamped, as `save`
    does), each with a history row (changed, by `by`); `links` as for `create_many`."""
    if not records:
        return
    model = type(records[0])
    columns = list(fields)
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            for record in records:
                field.pre_save(record, add=False)
            columns.append(field.name)
    model._default_manager.bulk_update(list(records), sorted(set(columns)), batch_size=BATCH)
    if links is not None:
        links()
    _history(records, by=by, update=True)
