#include "hub/mapping/messages.h"

#include <map>

namespace hub::mapping {

std::string vietnamese_message(std::string_view code) {
  if (auto known = find_vietnamese_message(code)) return *known;
  return "Dữ liệu không hợp lệ (mã lỗi " + std::string(code) + ")";
}

std::optional<std::string> find_vietnamese_message(std::string_view code) {
  static const std::map<std::string, std::string, std::less<>> kMessages = {
      {"date.format", "Ngày không đúng định dạng đã thỏa thuận"},
      {"date.impossible", "Ngày không tồn tại (ví dụ 31/02)"},
      {"date.out_of_range", "Năm nằm ngoài khoảng cho phép"},
      {"number.format", "Giá trị không phải là số hợp lệ"},
      {"number.not_integer", "Giá trị phải là số nguyên"},
      {"number.out_of_range", "Giá trị nằm ngoài khoảng cho phép"},
      {"score.format", "Điểm không đúng định dạng (tối đa 2 chữ số thập phân)"},
      {"score.out_of_range", "Điểm phải từ 0 đến 10"},
      {"school_year.format", "Năm học không đúng định dạng (ví dụ 2025-2026)"},
      {"school_year.not_consecutive", "Năm học phải gồm hai năm liên tiếp"},
      {"phone.format", "Số điện thoại không hợp lệ"},
      {"email.format", "Địa chỉ thư điện tử không hợp lệ"},
      {"personal_id.format", "Số định danh cá nhân phải gồm đúng 12 chữ số"},
      {"personal_id.province", "Ba chữ số đầu của số định danh không phải mã tỉnh nơi đăng ký khai sinh"},
      {"personal_id.birth_year_mismatch", "Số định danh không khớp với năm sinh"},
      {"personal_id.gender_mismatch", "Số định danh không khớp với giới tính"},
      {"text.invalid_utf8", "Chuỗi ký tự không phải UTF-8 hợp lệ"},
      {"value.not_scalar", "Giá trị phải là một giá trị đơn, không phải mảng hay đối tượng"},
      {"value.pattern", "Giá trị không đúng mẫu quy định"},
      {"value.unmapped", "Giá trị không có trong bảng chuyển đổi của đơn vị"},
      {"value.not_allowed", "Giá trị không thuộc danh sách cho phép"},
      {"value.required", "Thiếu trường bắt buộc"},
      {"catalog.not_found", "Mã hoặc tên không có trong danh mục dùng chung"},
      {"catalog.ambiguous", "Tên khớp với nhiều mục trong danh mục; cần gửi mã"},
      {"catalog.not_valid_on", "Mã không còn hiệu lực tại ngày áp dụng"},
      {"catalog.crosswalk_partial",
       "Đơn vị hành chính cũ bị chia tách; cần cán bộ xác định đơn vị mới (chờ duyệt)"},
      {"catalog.crosswalk_missing", "Không tìm thấy đơn vị mới tương ứng với mã đơn vị cũ"},
      {"record.source_id_missing", "Thiếu mã hồ sơ của đơn vị gửi"},
      {"record.not_object", "Bản ghi phải là một đối tượng JSON"},
      {"record.invalid_text",
       "Bản ghi có chuỗi ký tự không phải UTF-8 hợp lệ hoặc chứa ký tự NUL (\\u0000); bản ghi bị từ chối"},
      {"request.invalid_text", "Dữ liệu gửi lên có chuỗi ký tự không phải UTF-8 hợp lệ hoặc chứa ký tự NUL (\\u0000)"},
      {"request.too_deep", "Tài liệu JSON lồng nhau quá nhiều cấp (vượt giới hạn json.max_depth); không xử lý"},
      {"schema.unknown_field", "Trường không có trong lược đồ dữ liệu chuẩn"},
      {"schema.required", "Thiếu trường bắt buộc"},
      {"schema.type", "Sai kiểu dữ liệu"},
      {"schema.too_long", "Giá trị quá dài"},
      {"schema.out_of_range", "Giá trị nằm ngoài khoảng cho phép"},
      {"schema.not_in_enum", "Giá trị không thuộc danh sách cho phép"},
      {"schema.code_unknown", "Mã không có trong danh mục dùng chung"},
      {"schema.date_invalid", "Ngày không hợp lệ"},
      {"schema.personal_id", "Số định danh cá nhân không hợp lệ"},
  };
  auto it = kMessages.find(code);
  if (it != kMessages.end()) return it->second;
  return std::nullopt;
}

}  // namespace hub::mapping
