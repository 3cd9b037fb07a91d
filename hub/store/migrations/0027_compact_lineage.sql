-- Compact lineage (hub/model/lineage.h): golden_record.lineage holds one entry per source
-- version that supplied values, [{partner, batch, mapping_version, source_id, fields: [...]}],
-- instead of one object per field, which repeated the same source in every field and was most of
-- the bytes of a golden row. Rows written before keep the per-field object until their next
-- change: these functions read both shapes, so nothing is rewritten here and the migration costs
-- nothing on a populated database.

-- The lineage per field, the shape of the records API: field -> {partner, batch, ...}. An array
-- element without "fields" is a per-field object appended with || (a review decision); later
-- elements win.
create function lineage_by_field(l jsonb) returns jsonb language sql immutable parallel safe as $$
  select case when jsonb_typeof(l) = 'array' then coalesce((
    select jsonb_object_agg(x.k, x.v order by x.o, x.p)
    from (
      select e.o, f.p, f.k, e.v - 'fields' as v
      from jsonb_array_elements(l) with ordinality as e(v, o)
      cross join lateral jsonb_array_elements_text(e.v->'fields') with ordinality as f(k, p)
      where jsonb_typeof(e.v) = 'object' and jsonb_typeof(e.v->'fields') = 'array'
      union all
      select e.o, f.p, f.k, f.v
      from jsonb_array_elements(l) with ordinality as e(v, o)
      cross join lateral jsonb_each(e.v) with ordinality as f(k, v, p)
      where jsonb_typeof(e.v) = 'object' and jsonb_typeof(e.v->'fields') is distinct from 'array'
    ) x), '{}'::jsonb)
  else l end
$$;

-- The lineage of one field ({partner, batch, ...} or null), without building the whole object.
create function field_lineage(l jsonb, f text) returns jsonb language sql immutable parallel safe as $$
  select case when jsonb_typeof(l) = 'array' then (
    select case when jsonb_typeof(e.v->'fields') = 'array' then e.v - 'fields' else e.v->f end
    from jsonb_array_elements(l) with ordinality as e(v, o)
    where jsonb_typeof(e.v) = 'object'
      and case when jsonb_typeof(e.v->'fields') = 'array' then e.v->'fields' ? f else e.v ? f end
    order by e.o desc limit 1)
  else l->f end
$$;
