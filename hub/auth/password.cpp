#include "hub/auth/password.h"

#include <argon2.h>

#include <stdexcept>

#include "hub/common/crypto.h"

namespace hub::auth {
namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKib = 19456;
constexpr uint32_t kLanes = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

}  // namespace

Status check_password(std::string_view password) {
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength)
    return make_error("user.password_weak",
                      "a password must have from " + std::to_string(kMinPasswordLength) + " to " +
                          std::to_string(kMaxPasswordLength) + " bytes");
  return Status::Ok();
}

std::string hash_password(std::string_view password) {
  std::string salt = crypto::random_bytes(kSaltBytes);
  std::string encoded(argon2_encodedlen(kTimeCost, kMemoryKib, kLanes, kSaltBytes, kHashBytes, Argon2_id), '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKib, kLanes, password.data(), password.size(), salt.data(),
                                 salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool verify_password(const std::string& encoded, std::string_view password) {
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void burn_password_time(std::string_view password) {
  static const std::string kDummy = hash_password("not a password of anyone");
  (void)verify_password(kDummy, password);
}

}  // namespace hub::auth
