-- A student is in the units of the schools where it learns (hub/store/unit_policy.h): before a
-- partner limited to units changes a stored student, the golden store reads the student's
-- enrollments. Enrollments by student, so that costs one index probe rather than a scan of
-- every enrollment; only enrollment rows carry the entry. The records API's as_of answer
-- (a student's enrollments in force on a date) reads the same rows.
create index golden_record_enrollment_student on golden_record ((data->>'student')) where entity = 'enrollment';
