-- Review items of kind id_change: a vendor record would replace a personal ID that was verified
-- against the national population database. `proposal` holds the incoming values (the ID, its
-- status and the check's fields) that an "apply" decision writes; `reasons` shows them masked.
alter table review_item add column proposal jsonb;
alter table review_item drop constraint review_item_decision_check;
alter table review_item add constraint review_item_decision_check
  check (decision in ('match', 'not_a_match', 'apply', 'keep'));
create index review_item_open_id_change on review_item(record_id) where kind = 'id_change' and status = 'open';
