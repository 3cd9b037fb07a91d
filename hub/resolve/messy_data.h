#pragma once
// MessyData: a generator of realistic, dirty student data with ground truth, for evaluating
// entity resolution. Children get Vietnamese names drawn with realistic frequencies (Nguyễn
// ~38%), birth dates, schools, valid personal IDs; some are namesakes (same name, birth date
// and school as another child) or twins. Each child is then sent by the admissions portal
// and/or the transcript platform in their own formats: with and without diacritics, NFD,
// upper case, typos, day/month swaps, missing or mistyped IDs. The harder cases of real
// registers are each a share of their own, 0 by default (so that a seed gives the same data
// with or without them): names stored given-name first, neighbouring digits of a personal ID
// swapped, records without a birth date, children enrolled in another school than the one they
// applied to. Deterministic for a seed; not thread-safe (one generator per thread).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace hub::resolve {

struct MessyOptions {
  int children = 1000;
  int schools = 40;
  std::uint64_t seed = 1;
  double namesake_rate = 0.005;  // children who share name, birth date and school with another
  double twin_rate = 0.01;       // children born with a twin in the same school
  double in_admissions = 0.8;
  double in_transcripts = 0.85;
  // Transcript records whose name is stored given-name first and without diacritics, half in
  // name case ("Hieu Dinh Le"), half in upper case ("NHUNG KHANH TRAN").
  double reordered_name_rate = 0;
  // Admissions records with a personal ID whose serial (its last six digits, the part the
  // mapping cannot check against birth date and gender) has two different neighbouring digits
  // swapped: the commonest keying error.
  double transposed_id_rate = 0;
  // Records without a birth date, among those that carry an identifier (a personal ID on the
  // admissions portal; the ministry code, always sent, on the transcript platform).
  double missing_birth_date_rate = 0;
  // Children whose transcript platform enrollment is in another school than the one the
  // admissions portal names.
  double school_change_rate = 0;
};

struct Child {
  std::string id;  // ground-truth identity
  std::string family, middle, given;
  int year = 0, month = 0, day = 0;
  char gender = 'M';
  std::string personal_id;
  std::string moet_code;
  std::string school;
  std::string commune;  // of residence
};

struct MessyData {
  std::vector<Child> children;
  std::vector<std::string> school_codes;
  std::string schools_json;                   // demo-ops "schools" feed
  std::vector<std::string> admissions_json;   // demo-admissions "admissions" feed, in batches
  std::vector<std::string> transcripts_json;  // demo-transcripts "transcripts" feed, one per school
  std::string truth_csv;                      // partner,source_id,child_id
  int admissions_records = 0, transcripts_records = 0;
};

MessyData generate_messy_data(const MessyOptions& options, int batch_records = 1000);
// Only the children (for seeding large stores); school codes into `school_codes` if given.
std::vector<Child> generate_children(const MessyOptions& options, std::vector<std::string>* school_codes = nullptr);

}  // namespace hub::resolve
