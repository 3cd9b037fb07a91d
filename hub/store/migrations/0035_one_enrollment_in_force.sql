-- Of each owner (a student), the one record of an effective-dated entity in force on a date
-- (mappings/schema/<entity>.yaml, one_in_force_per): a student is at one school on 30 September,
-- even when the platform opened the new school's enrollment without closing the old one. Where
-- two overlap, the one that started later is in force, and of two that started the same day
-- (a platform that sends no enrolment date) the one the hub recorded later; the other keeps the
-- dates it was sent with, none is invented. An owner merged into another counts as the survivor;
-- a record whose owner is unknown stands alone. The EMIS report, `hubctl export snapshot` and
-- the snapshot's records in force read this one function, so they cannot disagree.
create function in_force_per_owner(p_entity text, p_owner_field text, p_as_of date, p_known_by timestamptz)
returns table (id uuid, version int, data jsonb, valid_from date, valid_to date, owner uuid)
language sql stable as $$
  select distinct on (x.owner) x.id, x.version, x.data, x.valid_from, x.valid_to, x.owner
  from (select r.id, r.version, r.data, r.valid_from, r.valid_to, g.created_at,
               coalesce(o.merged_into, o.id, r.id) as owner
        from records_as_of(p_entity, p_as_of, p_known_by, true) r
        join golden_record g on g.id = r.id
        left join golden_record o
          on o.id = case when r.data->>p_owner_field ~ '^[0-9a-fA-F-]{36}$' then (r.data->>p_owner_field)::uuid end) x
  order by x.owner, x.valid_from desc, x.created_at desc, x.id
$$;

-- A source id that names the student alone lets a transfer move the enrollment to the new
-- school; its natural key for the old school still names it then, so the old school's enrollment
-- sent again under a source id with the school would move it back instead of becoming a record
-- of its own (docs/mappings.md, "Changing an emit's key"). Keys an enrollment no longer carries
-- are dropped; each record keeps the key of its own student, school and school year.
delete from natural_key k
using golden_record g
where k.entity = 'enrollment' and k.key_name = 'student+school+school_year' and g.id = k.record_id
  and g.merged_into is null
  and g.data ? 'student' and g.data ? 'school' and g.data ? 'school_year'
  and k.key_value <> (g.data->>'student') || '|' || (g.data->>'school') || '|' || (g.data->>'school_year');
