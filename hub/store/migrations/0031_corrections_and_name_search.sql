-- A value of a golden record corrected by a person (the console or the records API): who, why,
-- and the value it replaced. The write path reads the latest correction of each field so that a
-- vendor re-sending the very value a person replaced does not undo the correction, while a new
-- value from the vendor (the source fixed its data) applies (docs/matching.md, "Corrections by
-- a person"). The golden record's new version, its lineage and the change-log row are written in
-- the same transaction.
create table record_correction (
  id          bigserial primary key,
  record_id   uuid not null,
  entity      text not null,
  field       text not null,
  value       jsonb,          -- the person's value; null: the field was cleared
  replaced    jsonb,          -- the value it replaced; null: the field had none
  version     int not null,   -- the golden record's version the correction wrote
  actor       text not null,  -- "user:<login>" or the partner that sent it
  reason      text not null,
  created_at  timestamptz not null default now()
);
create index record_correction_record on record_correction(record_id, field, id desc);

-- Search by name (GET /v1/records/{entity}?q=): a name folded the way hub/mapping/text.h's
-- fold_key folds a query (NFC, Vietnamese diacritics removed, đ -> d, lower case, anything but
-- letters and digits a space), so "nguyen van an" finds "Nguyễn Văn An". Written out with
-- translate() rather than the unaccent extension, which a hub's database user may not be allowed
-- to create.
create function hub_fold(t text) returns text language sql immutable parallel safe as $$
  select btrim(regexp_replace(lower(translate(normalize(t, NFC),
    'àáạảãâầấậẩẫăằắặẳẵÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴèéẹẻẽêềếệểễÈÉẸẺẼÊỀẾỆỂỄìíịỉĩÌÍỊỈĨòóọỏõôồốộổỗơờớợởỡÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠùúụủũưừứựửữÙÚỤỦŨƯỪỨỰỬỮỳýỵỷỹỲÝỴỶỸđĐ',
    'aaaaaaaaaaaaaaaaaAAAAAAAAAAAAAAAAAeeeeeeeeeeeEEEEEEEEEEEiiiiiIIIIIoooooooooooooooooOOOOOOOOOOOOOOOOOuuuuuuuuuuuUUUUUUUUUUUyyyyyYYYYYdD')), '[^a-z0-9]+', ' ', 'g'))
$$;

-- The records merged into a record (the records API lists them so that a person can unmerge one
-- from the survivor's page). Partial: only merged rows are indexed, so the write path pays nothing.
create index golden_record_merged_into on golden_record(merged_into) where merged_into is not null;
